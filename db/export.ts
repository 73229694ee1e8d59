import type { Fragment } from "postgres";
import type { Db } from "./client.ts";
import { messageIdentity } from "./messages.ts";
import type { RepeatRule } from "./repeat.ts";
import { keptSql, type RetentionRules } from "./retention.ts";
import { openTaskTexts } from "./task-texts.ts";
import { openName, type SealedUserRow } from "./users.ts";
import type { Vault } from "./vault.ts";

/**
 * Reads for a person's data export. Other people appear only by Telegram id. Field names
 * are the export's own (snake_case, stable): the README documents them.
 */

export interface ExportProfile {
  id: number;
  first_name: string | null;
  last_name: string | null;
  username: string | null;
  language_code: string | null;
  timezone: string;
  /** Local "HH:MM" in `timezone`; null: none. */
  quiet_hours: { start: string; end: string } | null;
  /** The notice version of the standing consent; null: withdrawn or never given. */
  consent_version: number | null;
  /** The latest notice version the person was asked about. */
  consent_prompted_version: number | null;
  /** The latest export: this one, when read for an export. */
  last_export_at: Date | null;
  started_at: Date | null;
  blocked_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** Minutes after midnight as "HH:MM". */
const clockTime = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;

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

export async function exportProfile(
  db: Db,
  vault: Vault,
  userId: number,
): Promise<ExportProfile | null> {
  const [row] = await db<
    (SealedUserRow & {
      quietStart: number | null;
      quietEnd: number | null;
      consentVersion: number | null;
      consentPromptedVersion: number | null;
      exportedAt: Date | null;
      createdAt: Date;
      updatedAt: Date;
    })[]
  >`
    select id, first_name, last_name, username, language_code, timezone, quiet_start,
           quiet_end, consent_version, consent_prompted_version, exported_at, started_at,
           blocked_at, created_at, updated_at
    from users where id = ${userId}
  `;
  if (!row) return null;
  return {
    id: row.id,
    first_name: openName(vault, row.id, "first_name", row.firstName),
    last_name: openName(vault, row.id, "last_name", row.lastName),
    username: openName(vault, row.id, "username", row.username),
    language_code: row.languageCode,
    timezone: row.timezone,
    quiet_hours:
      row.quietStart === null || row.quietEnd === null
        ? null
        : { start: clockTime(row.quietStart), end: clockTime(row.quietEnd) },
    consent_version: row.consentVersion,
    consent_prompted_version: row.consentPromptedVersion,
    last_export_at: row.exportedAt,
    started_at: row.startedAt,
    blocked_at: row.blockedAt,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

export interface ExportDigest {
  at: string;
  timezone: string;
  mention: boolean;
  /** The local date of the latest one sent. */
  last_sent_on: string | null;
}

/** The person's own daily digest; a team's belongs to the team. */
export async function exportDigest(db: Db, userId: number): Promise<ExportDigest | null> {
  const [row] = await db<
    { atMinute: number; timezone: string; mention: boolean; lastSentOn: string | null }[]
  >`
    select at_minute, timezone, mention, to_char(last_sent_on, 'YYYY-MM-DD') as last_sent_on
    from digests where kind = 'personal' and chat_id = ${userId}
  `;
  if (!row) return null;
  return {
    at: clockTime(row.atMinute),
    timezone: row.timezone,
    mention: row.mention,
    last_sent_on: row.lastSentOn,
  };
}

/** Buttons shown to the person that still wait for their press; the token stays secret. */
export async function exportConfirmations(
  db: Db,
  userId: number,
): Promise<{ action: string; payload: unknown; expires_at: Date }[]> {
  const rows = await db<{ action: string; payload: unknown; expiresAt: Date }[]>`
    select action, payload, expires_at from confirmations
    where user_id = ${userId} order by expires_at, token
  `;
  return rows.map((row) => ({
    action: row.action,
    payload: row.payload,
    expires_at: row.expiresAt,
  }));
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

/** The columns every task export reads, the texts still sealed. */
interface SealedTaskHead {
  id: number;
  teamId: number | null;
  title: Buffer;
  description: Buffer | null;
  status: string;
  sourceChatId: number | null;
  sourceMessageId: number | null;
  sourceDate: Date | null;
  createdAt: Date;
}

/** Those columns opened, with the export's names. */
function taskHead(vault: Vault, sealed: SealedTaskHead) {
  const t = openTaskTexts(vault, sealed);
  return {
    id: t.id,
    team_id: t.teamId,
    title: t.title,
    description: t.description,
    status: t.status,
    source_chat_id: t.sourceChatId,
    source_message_id: t.sourceMessageId,
    source_date: t.sourceDate,
    created_at: t.createdAt,
  };
}

export interface ExportTask {
  id: number;
  team_id: number | null;
  title: string;
  description: string | null;
  status: string;
  priority: string;
  creator_id: number | null;
  assignee_id: number | null;
  due_at: Date | null;
  /** false: due on a day, not at a time. */
  due_has_time: boolean;
  done_at: Date | null;
  created_at: Date;
  updated_at: Date;
  source_chat_id: number | null;
  source_message_id: number | null;
  source_date: Date | null;
  repeat: RepeatRule | null;
  repeat_zone: string | null;
  series_id: number | null;
  next_id: number | null;
  card_message_id: number | null;
  creator_erased: boolean;
  assignee_erased: boolean;
  reminders: ExportReminder[];
}

export interface ExportReminder {
  offset_minutes: number;
  remind_at: Date;
  state: string;
  done_at: Date | null;
}

export async function exportTasks(
  db: Db,
  vault: Vault,
  userId: number,
  role: "creator" | "assignee",
): Promise<ExportTask[]> {
  const column = role === "creator" ? db`creator_id` : db`assignee_id`;
  const rows = await db<
    (SealedTaskHead & {
      priority: string;
      creatorId: number | null;
      assigneeId: number | null;
      dueAt: Date | null;
      dueHasTime: boolean;
      doneAt: Date | null;
      updatedAt: Date;
      repeat: RepeatRule | null;
      repeatZone: string | null;
      seriesId: number | null;
      nextId: number | null;
      cardMessageId: number | null;
      creatorErased: boolean;
      assigneeErased: boolean;
      reminders: {
        offsetMinutes: number;
        remindAt: string;
        state: string;
        doneAt: string | null;
      }[];
    })[]
  >`
    select t.id, t.team_id, t.title, t.description, t.status, t.priority, t.creator_id,
           t.assignee_id, t.due_at, t.due_has_time, t.done_at, t.created_at, t.updated_at,
           t.source_chat_id, t.source_message_id, t.source_date, t.repeat, t.repeat_zone,
           t.series_id, t.next_id, t.card_message_id, t.creator_erased, t.assignee_erased,
           coalesce(
             (select json_agg(json_build_object(
                       'offsetMinutes', r.offset_minutes, 'remindAt', r.remind_at,
                       'state', r.state, 'doneAt', r.done_at)
                     order by r.offset_minutes)
              from reminders r where r.task_id = t.id),
             '[]') as reminders
    from tasks t where ${column} = ${userId} order by t.id
  `;
  return rows.map((t) => ({
    ...taskHead(vault, t),
    priority: t.priority,
    creator_id: t.creatorId,
    assignee_id: t.assigneeId,
    due_at: t.dueAt,
    due_has_time: t.dueHasTime,
    done_at: t.doneAt,
    updated_at: t.updatedAt,
    repeat: t.repeat,
    repeat_zone: t.repeatZone,
    series_id: t.seriesId,
    next_id: t.nextId,
    card_message_id: t.cardMessageId,
    creator_erased: t.creatorErased,
    assignee_erased: t.assigneeErased,
    reminders: t.reminders.map((r) => ({
      offset_minutes: r.offsetMinutes,
      remind_at: new Date(r.remindAt),
      state: r.state,
      done_at: r.doneAt === null ? null : new Date(r.doneAt),
    })),
  }));
}

/** A task made from the person's message: the team's, but it copies their words. */
export interface ExportTaskFromMessage {
  id: number;
  team_id: number | null;
  title: string;
  description: string | null;
  status: string;
  /** The message it was made from, while that link lasts (it expires with the message). */
  source_chat_id: number | null;
  source_message_id: number | null;
  source_date: Date | null;
  created_at: Date;
}

export async function exportTasksFromMessages(
  db: Db,
  vault: Vault,
  userId: number,
): Promise<ExportTaskFromMessage[]> {
  const rows = await db<SealedTaskHead[]>`
    select id, team_id, title, description, status, source_chat_id, source_message_id,
           source_date, created_at
    from tasks where source_author_id = ${userId} order by id
  `;
  return rows.map((sealed) => taskHead(vault, sealed));
}

/** Where a batch's skeleton leaves room for each message's text (PostgreSQL escapes \u0001). */
export const TEXT_SLOT = "\u0001";

/**
 * One batch of a person's messages as PostgreSQL wrote it: the export's JSON for each
 * message with its text left out (a TEXT_SLOT where the text goes), the sealed texts in
 * one bytea, and what it takes to open each of them.
 */
export interface SealedMessageBatch {
  /** The messages, oldest first, joined by ",\n  ", each text a TEXT_SLOT. */
  skeleton: string;
  /** The sealed texts, one after another, in the skeleton's order. */
  sealed: Buffer;
  /** Per message, in that order: `chat id:message id:sealed length`, joined by commas. */
  layout: string;
  rows: number;
}

/**
 * A person's messages still within their retention period at `now`, oldest first, a batch
 * per statement (keyset on messages_author_idx, so each batch costs the same however far
 * in). The service never parses a row: a batch is three values. Read inside one
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
    const [batch] = await db<(SealedMessageBatch & { lastId: number | null })[]>`
      select count(*)::int as rows, max(b.id) as last_id,
             coalesce(string_agg(b.head || ${TEXT_SLOT}::text || b.tail, ${",\n  "}::text
                                 order by b.id), '') as skeleton,
             coalesce(string_agg(b.text, ''::bytea order by b.id), ''::bytea) as sealed,
             coalesce(string_agg(b.chat_id || ':' || b.message_id || ':' || octet_length(b.text),
                                 ',' order by b.id), '') as layout
      from (
        select m.id, m.chat_id, m.message_id, m.text,
               '{"chat_id":' || m.chat_id || ',"team_id":' || m.team_id ||
               ',"message_id":' || m.message_id || ',"date":' || ${isoSql(db, db`m.date`)} ||
               ',"text":' as head,
               ',"reply_to_message_id":' || coalesce(m.reply_to_message_id::text, 'null') ||
               ',"edited_at":' || coalesce(${isoSql(db, db`m.edited_at`)}, 'null') || '}' as tail
        from messages m join teams t on t.id = m.team_id
        where m.author_id = ${authorId} and m.id > ${after} and ${keptSql(db, kept.rules, kept.now)}
        order by m.id
        limit ${batchSize}
      ) b
    `;
    if (!batch || batch.rows === 0 || batch.lastId === null) return undefined;
    return { ...batch, lastId: batch.lastId };
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

/** A timestamptz as JSON.stringify writes a Date: "2026-11-28T10:00:00.000Z" (null stays null). */
function isoSql(db: Db, column: Fragment): Fragment {
  return db`('"' || to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"')`;
}

/**
 * A batch's texts, opened in its order: each sealed value is a view into the batch's one
 * buffer, bound to its row.
 */
export function openBatchTexts(vault: Vault, batch: SealedMessageBatch): string[] {
  const texts = new Array<string>(batch.rows);
  let offset = 0;
  let row = 0;
  for (const entry of batch.layout.split(",")) {
    const [chatId, messageId, size] = entry.split(":");
    const end = offset + Number(size);
    texts[row++] = vault.open(
      batch.sealed.subarray(offset, end),
      messageIdentity(Number(chatId), Number(messageId)),
    );
    offset = end;
  }
  if (row !== batch.rows || offset !== batch.sealed.length) {
    throw new Error("A batch of sealed texts does not match its layout.");
  }
  return texts;
}
