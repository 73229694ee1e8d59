import { isUtf8 } from "node:buffer";
import type { Db } from "./client.ts";
import {
  compactRuleSql,
  isoJsonSql,
  isoTimeSql,
  jsonStringLength,
  PLACEHOLDER,
  spliceOpened,
  writeJsonString,
} from "./json-text.ts";
import { messageIdentity } from "./messages.ts";
import { keptSql, type RetentionRules } from "./retention.ts";
import type { Vault } from "./vault.ts";

/**
 * Reads for a person's data export. Other people appear only by Telegram id. Field names
 * are the export's own (snake_case, stable): the README documents them.
 */

/** Claims the person's export slot: at most one export per `interval`. */
export async function claimExportSlot(
  db: Db,
  userId: number,
  now: Date,
  intervalMs: number,
): Promise<{ ok: true; previous: Date | null } | { ok: false; retryAt: Date }> {
  const earliest = new Date(now.getTime() - intervalMs);
  const [claimed] = await db<{ previous: Date | null }[]>`
    update users u set exported_at = ${now}
    from (select exported_at as previous from users where id = ${userId} for update) p
    where u.id = ${userId} and (u.exported_at is null or u.exported_at <= ${earliest})
    returning p.previous
  `;
  if (claimed) return { ok: true, previous: claimed.previous };
  const [row] = await db<{ exportedAt: Date | null }[]>`
    select exported_at from users where id = ${userId}
  `;
  const last = row?.exportedAt ?? now;
  return { ok: false, retryAt: new Date(last.getTime() + intervalMs) };
}

/** Gives the slot back when an export could not be delivered. */
export async function releaseExportSlot(
  db: Db,
  userId: number,
  claimedAt: Date,
  previous: Date | null,
): Promise<void> {
  await db`
    update users set exported_at = ${previous} where id = ${userId} and exported_at = ${claimedAt}
  `;
}

export async function exportTeams(
  db: Db,
  userId: number,
): Promise<{ id: number; title: string; joined_at: Date }[]> {
  return db`
    select t.id, t.title, m.joined_at as "joinedAt"
    from team_members m join teams t on t.id = m.team_id
    where m.user_id = ${userId} order by m.joined_at, t.id
  `.then((rows) => rows.map((row) => ({ id: row.id, title: row.title, joined_at: row.joinedAt })));
}

/** The sections before the messages, in the document's order; `forms_in_progress` is the service's. */
export const HEAD_SECTIONS = [
  "user",
  "consents",
  "teams",
  "digest",
  "tasks_created",
  "tasks_assigned",
  "tasks_from_my_messages",
  "confirmations",
] as const;
export type HeadSection = (typeof HEAD_SECTIONS)[number];

/**
 * The sections before the messages as PostgreSQL wrote them (json-text.ts): `user` and
 * `digest` an object or "" when there is none, the lists their elements joined by ",\n  "
 * ("" when empty). The sealed names and task texts are placeholders, opened by `open`
 * together (their order is the sections' order, then the elements', then the fields').
 */
export interface ExportHead {
  sections: Record<HeadSection, string>;
  /** The sections with their sealed values opened and spliced in. */
  open(vault: Vault): Record<HeadSection, string>;
}

/**
 * Everything about the person except messages, forms and audit, in one statement. Other
 * people appear only by Telegram id. Field names are the export's own (snake_case, stable;
 * docs/privacy.md lists them).
 */
export async function exportHead(db: Db, userId: number): Promise<ExportHead> {
  const hole = db`${PLACEHOLDER}::text`;
  const iso = (column: string) => isoTimeSql(db, column);
  const isoOrNull = (column: string) => isoJsonSql(db, column);
  const text = (column: string) => db`coalesce(to_json(${db(column)})::text, 'null')`;
  const number = (column: string) => db`coalesce(${db(column)}::text, 'null')`;
  // Minutes after midnight as "HH:MM".
  const clock = (column: string) =>
    db`lpad((${db(column)} / 60)::text, 2, '0') || ':' || lpad((${db(column)} % 60)::text, 2, '0')`;
  // The identities the task texts were sealed with (db/task-texts.ts).
  const sealedTask = db`
    array_remove(array[t.title, t.description], null),
    array_remove(array['tasks:' || t.id || ':title',
      case when t.description is not null then 'tasks:' || t.id || ':description' end], null)`;
  const taskHead = db`
    '{"id":' || t.id || ',"team_id":' || ${number("t.team_id")}
    || ',"title":' || ${hole}
    || ',"description":' || case when t.description is null then 'null' else ${hole} end
    || ',"status":' || ${text("t.status")}
    || ',"source_chat_id":' || ${number("t.source_chat_id")}
    || ',"source_message_id":' || ${number("t.source_message_id")}
    || ',"source_date":' || ${isoOrNull("t.source_date")}
    || ',"created_at":"' || ${iso("t.created_at")} || '"'`;
  const task = db`${taskHead}
    || ',"priority":' || ${text("t.priority")}
    || ',"creator_id":' || ${number("t.creator_id")}
    || ',"assignee_id":' || ${number("t.assignee_id")}
    || ',"due_at":' || ${isoOrNull("t.due_at")}
    || ',"due_has_time":' || t.due_has_time
    || ',"done_at":' || ${isoOrNull("t.done_at")}
    || ',"updated_at":"' || ${iso("t.updated_at")} || '"'
    || ',"repeat":' || ${compactRuleSql(db, "t.repeat")}
    || ',"repeat_zone":' || ${text("t.repeat_zone")}
    || ',"series_id":' || ${number("t.series_id")}
    || ',"next_id":' || ${number("t.next_id")}
    || ',"card_message_id":' || ${number("t.card_message_id")}
    || ',"creator_erased":' || t.creator_erased
    || ',"assignee_erased":' || t.assignee_erased
    || ',"reminders":[' || coalesce((
         select string_agg('{"offset_minutes":' || r.offset_minutes
           || ',"remind_at":"' || ${iso("r.remind_at")}
           || '","state":' || ${text("r.state")}
           || ',"done_at":' || ${isoOrNull("r.done_at")} || '}', ',' order by r.offset_minutes)
         from reminders r where r.task_id = t.id), '') || ']}'`;
  const none = db`'{}'::bytea[] as sealed, '{}'::text[] as identities`;
  const [row] = await db<{ sections: string[]; sealed: Buffer[]; identities: string[] }[]>`
    with parts (section, n, json, sealed, identities) as (
      select 1, 1::bigint,
        '{"id":' || u.id
        || ',"first_name":' || case when u.first_name is null then 'null' else ${hole} end
        || ',"last_name":' || case when u.last_name is null then 'null' else ${hole} end
        || ',"username":' || case when u.username is null then 'null' else ${hole} end
        || ',"language_code":' || ${text("u.language_code")}
        || ',"timezone":' || ${text("u.timezone")}
        || ',"quiet_hours":' || case when u.quiet_start is null or u.quiet_end is null then 'null'
             else '{"start":"' || ${clock("u.quiet_start")} || '","end":"' || ${clock("u.quiet_end")}
                  || '"}' end
        || ',"consent_version":' || ${number("u.consent_version")}
        || ',"consent_prompted_version":' || ${number("u.consent_prompted_version")}
        || ',"last_export_at":' || ${isoOrNull("u.exported_at")}
        || ',"started_at":' || ${isoOrNull("u.started_at")}
        || ',"blocked_at":' || ${isoOrNull("u.blocked_at")}
        || ',"created_at":"' || ${iso("u.created_at")}
        || '","updated_at":"' || ${iso("u.updated_at")} || '"}',
        array_remove(array[u.first_name, u.last_name, u.username], null),
        -- The identities the names were sealed with (db/users.ts).
        array_remove(array[
          case when u.first_name is not null then 'users:' || u.id || ':first_name' end,
          case when u.last_name is not null then 'users:' || u.id || ':last_name' end,
          case when u.username is not null then 'users:' || u.id || ':username' end], null)
      from users u where u.id = ${userId}
      union all
      select 2, c.id,
        '{"granted":' || c.granted || ',"policy_version":' || c.policy_version
        || ',"source":' || ${text("c.source")} || ',"at":"' || ${iso("c.created_at")} || '"}',
        ${none}
      from consents c where c.user_id = ${userId}
      union all
      select 3, row_number() over (order by m.joined_at, t.id),
        '{"id":' || t.id || ',"title":' || ${text("t.title")}
        || ',"joined_at":"' || ${iso("m.joined_at")} || '"}',
        ${none}
      from team_members m join teams t on t.id = m.team_id where m.user_id = ${userId}
      union all
      select 4, 1,
        '{"at":"' || ${clock("d.at_minute")} || '","timezone":' || ${text("d.timezone")}
        || ',"mention":' || d.mention
        || ',"last_sent_on":' || coalesce('"' || to_char(d.last_sent_on, 'YYYY-MM-DD') || '"', 'null')
        || '}',
        ${none}
      from digests d where d.kind = 'personal' and d.chat_id = ${userId}
      union all
      select 5, t.id, ${task}, ${sealedTask}
      from tasks t where t.creator_id = ${userId}
      union all
      select 6, t.id, ${task}, ${sealedTask}
      from tasks t where t.assignee_id = ${userId}
      union all
      -- The team's tasks that copy this person's words (/task in reply, "From a message").
      select 7, t.id, ${taskHead} || '}', ${sealedTask}
      from tasks t where t.source_author_id = ${userId}
      union all
      -- Buttons shown to the person that still wait for their press; the token stays secret.
      -- A payload keeps jsonb's text (its spaces): it may hold any JSON.
      select 8, row_number() over (order by f.expires_at, f.token),
        '{"action":' || ${text("f.action")} || ',"payload":' || f.payload::text
        || ',"expires_at":"' || ${iso("f.expires_at")} || '"}',
        ${none}
      from confirmations f where f.user_id = ${userId}
    ),
    flat as (
      select p.section, p.n, u.v, u.i, u.k
      from parts p, unnest(p.sealed, p.identities) with ordinality as u(v, i, k)
    )
    select
      array(select coalesce(string_agg(p.json, ${",\n  "}::text order by p.n), '')
            from generate_series(1, ${HEAD_SECTIONS.length}::int) s
            left join parts p on p.section = s group by s order by s) as sections,
      array(select v from flat order by section, n, k) as sealed,
      array(select i from flat order by section, n, k) as identities
  `;
  if (!row) throw new Error("the export's head query returned no row");
  const sections = Object.fromEntries(
    HEAD_SECTIONS.map((name, i) => [name, row.sections[i] ?? ""]),
  ) as Record<HeadSection, string>;
  return {
    sections,
    open(vault) {
      let next = 0;
      const opened = HEAD_SECTIONS.map((name) => {
        const text = sections[name];
        const end = next + text.split(PLACEHOLDER).length - 1;
        const json = spliceOpened(
          vault,
          text,
          row.sealed.slice(next, end),
          row.identities.slice(next, end),
        );
        next = end;
        return [name, json];
      });
      if (next !== row.sealed.length) throw new Error("the export's head has sealed values left");
      return Object.fromEntries(opened) as Record<HeadSection, string>;
    },
  };
}

/**
 * One batch of a person's messages as PostgreSQL wrote it: the export's JSON for each
 * message with its text left out (a PLACEHOLDER where the text goes), the sealed texts in
 * one bytea, and what it takes to open each of them.
 */
export interface SealedMessageBatch {
  /** The messages' UTF-8, oldest first, joined by ",\n  ", each text a PLACEHOLDER. */
  skeleton: Buffer;
  /**
   * The sealed texts, one after another, in the skeleton's order: the bytea as it came, "\\x"
   * and hex, each decoded only when it is opened (into one small buffer used again and
   * again: no buffer the size of the batch for the collector to find).
   */
  sealedHex: Buffer;
  /** Per message, in that order: `chat id:message id:sealed length`, joined by commas. */
  layout: string;
  rows: number;
}

/**
 * A person's messages still within their retention period at `now`, oldest first, a batch
 * per statement (keyset on messages_author_idx, so each batch costs the same however far
 * in). The service never parses a row: a batch is three values, taken as the bytes that
 * came over the wire (postgres.js's raw rows: no text decoded to be encoded again). Read inside one
 * repeatable-read transaction, the batches share its snapshot. While the caller works on a
 * batch the next one is being read, and no further: a slow caller holds the reads back.
 */
export async function* exportMessageBatches(
  db: Db,
  authorId: number,
  kept: { rules: RetentionRules; now: Date },
  batchSize: number,
): AsyncGenerator<SealedMessageBatch> {
  const read = async (after: number) => {
    const [raw] = await db`
      select count(*) as rows, max(b.id) as last_id,
             coalesce(string_agg(b.head || ${PLACEHOLDER}::text || b.tail, ${",\n  "}::text
                                 order by b.id), '') as skeleton,
             coalesce(string_agg(b.text, ''::bytea order by b.id), ''::bytea) as sealed,
             coalesce(string_agg(b.chat_id || ':' || b.message_id || ':' || octet_length(b.text),
                                 ',' order by b.id), '') as layout
      from (
        select m.id, m.chat_id, m.message_id, m.text,
               '{"chat_id":' || m.chat_id || ',"team_id":' || m.team_id ||
               ',"message_id":' || m.message_id || ',"date":"' || ${isoTimeSql(db, "m.date")} ||
               '","text":' as head,
               ',"reply_to_message_id":' || coalesce(m.reply_to_message_id::text, 'null') ||
               ',"edited_at":' || ${isoJsonSql(db, "m.edited_at")} || '}' as tail
        from messages m join teams t on t.id = m.team_id
        where m.author_id = ${authorId} and m.id > ${after} and ${keptSql(db, kept.rules, kept.now)}
        order by m.id
        limit ${batchSize}
      ) b
    `.raw();
    const [rows, lastId, skeleton, sealed, layout] = raw ?? [];
    if (!rows || !lastId || !skeleton || !sealed || !layout) return undefined;
    return {
      rows: Number(rows.toString("latin1")),
      lastId: Number(lastId.toString("latin1")),
      skeleton,
      sealedHex: sealed,
      layout: layout.toString("latin1"),
    };
  };
  let pending = read(0);
  for (;;) {
    const batch = await pending;
    if (!batch) return;
    // One batch ahead at most: the database writes the next while the caller opens this one.
    pending = batch.rows < batchSize ? Promise.resolve(undefined) : read(batch.lastId);
    // Awaited above, unless the caller stops early; then its failure has nobody to tell.
    pending.catch(() => {});
    yield batch;
  }
}

/**
 * A batch's JSON with its texts opened and put in their slots as JSON strings, after `lead`,
 * as one buffer: each text is opened to its UTF-8 bytes and escaped as bytes (json-text.ts
 * writeJsonString), so no text becomes a string on the way. Each sealed value is a view into
 * the batch's one buffer, bound to its row.
 */
export function openBatch(vault: Vault, batch: SealedMessageBatch, lead: Buffer): Buffer {
  const texts = new Array<Uint8Array>(batch.rows);
  let size = lead.length + batch.skeleton.length - batch.rows;
  let offset = 0;
  let row = 0;
  for (const entry of batch.layout.split(",")) {
    const [chatId, messageId, length] = entry.split(":");
    const sealed = hexBytes(batch.sealedHex, offset, Number(length));
    const text = wellFormed(
      vault.openBytes(sealed, messageIdentity(Number(chatId), Number(messageId))),
    );
    texts[row++] = text;
    size += jsonStringLength(text);
    offset += sealed.length;
  }
  if (row !== batch.rows || 2 + 2 * offset !== batch.sealedHex.length) {
    throw new Error("A batch of sealed texts does not match its layout.");
  }
  const out = Buffer.allocUnsafe(size);
  let at = lead.copy(out, 0);
  let from = 0;
  for (const text of texts) {
    const slot = batch.skeleton.indexOf(SLOT_BYTE, from);
    if (slot === -1) throw new Error("A batch's JSON does not have a slot for each of its texts.");
    at += batch.skeleton.copy(out, at, from, slot);
    at = writeJsonString(text, out, at);
    from = slot + 1;
  }
  at += batch.skeleton.copy(out, at, from);
  if (at !== size || batch.skeleton.indexOf(SLOT_BYTE, from) !== -1) {
    throw new Error("A batch's JSON has more slots than texts.");
  }
  return out;
}

/** Each hex digit's value by its ASCII code; 255: not a hex digit. */
const HEX_DIGIT = Uint8Array.from({ length: 256 }, (_, code) => {
  const digit = Number.parseInt(String.fromCharCode(code), 16);
  return Number.isNaN(digit) ? 255 : digit;
});

/** Where hexBytes decodes to: grown when a value is longer, used again for the next one. */
let scratch = Buffer.alloc(4096);

/**
 * `count` bytes from `at` (in bytes) of a bytea as postgres.js's raw rows give it, the text
 * "\\x" and hex digits, decoded from the bytes as they came (measured: making a string of
 * the hex to decode it cost more than the rest of the batch's parsing). The result is valid
 * until the next call.
 */
export function hexBytes(text: Buffer, at: number, count: number): Buffer {
  const start = 2 + 2 * at;
  if (text[0] !== 0x5c || text[1] !== 0x78 || start + 2 * count > text.length) {
    throw new Error("A bytea value is not in hex format.");
  }
  if (scratch.length < count) scratch = Buffer.alloc(Math.max(count, 2 * scratch.length));
  for (let i = 0, j = start; i < count; i++, j += 2) {
    const high = HEX_DIGIT[text[j] as number] as number;
    const low = HEX_DIGIT[text[j + 1] as number] as number;
    if (high === 255 || low === 255) throw new Error("A bytea value is not in hex format.");
    scratch[i] = (high << 4) | low;
  }
  return scratch.subarray(0, count);
}

/** The placeholder's one byte in UTF-8. */
const SLOT_BYTE = PLACEHOLDER.charCodeAt(0);

/** A text's bytes as toString("utf8") would read them: malformed sequences replaced. */
function wellFormed(text: Buffer): Uint8Array {
  return isUtf8(text) ? text : Buffer.from(text.toString("utf8"), "utf8");
}
