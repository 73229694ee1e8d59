import type { Sql } from "postgres";
import { z } from "zod";
import type { IdHasher } from "#bot/lib/logger";
import { auditAboutJson, writeAudit } from "#db/audit";
import { conversationsOf } from "#db/conversations";
import {
  claimExportSlot,
  exportHead,
  exportMessageBatches,
  openBatch,
  releaseExportSlot,
} from "#db/export";
import { countMessagesBy } from "#db/messages";
import type { RetentionRules } from "#db/retention";
import type { Vault } from "#db/vault";
import type { PrivacyDeps, PrivacyOperation } from "./types.ts";

/** Raise when a field changes meaning or goes away; adding a field keeps the version. */
export const EXPORT_FORMAT_VERSION = 1;

/** One export per person per ten minutes, shared by the bot and the Mini App API. */
export const EXPORT_INTERVAL_MS = 10 * 60 * 1000;

export function exportFileName(userId: number, now: Date): string {
  return `task-tracker-export-${userId}-${now.toISOString().slice(0, 10)}.json`;
}

export interface ExportSources {
  sql: Sql;
  vault: Vault;
  hashId: IdHasher;
  /** Messages past their retention period are left out. */
  rules: RetentionRules;
  /** Messages per statement; tests make it small to cross batch boundaries. */
  batchSize?: number;
}

/**
 * Messages per statement: a batch is about 250 kB of JSON, which keeps the statements few
 * and the memory low (measured in scripts/bench/privacy.ts).
 */
export const EXPORT_BATCH_SIZE = 1000;

/** What an export reads besides the unit: the pool, for the document read after the commit. */
export type ExportDeps = PrivacyDeps & { sql: Sql };

export type ExportClaim =
  | {
      ok: true;
      fileName: string;
      /** The document, read afresh on each call (a retried upload reads it again). */
      document(): AsyncGenerator<Uint8Array>;
      /** Gives the slot back when the document could not be delivered. */
      release(): Promise<void>;
    }
  | { ok: false; retryAt: Date };

/**
 * The actor's data export: takes their export slot (one per EXPORT_INTERVAL_MS, shared by
 * the bot and the API) and writes the audit record in the unit's transaction, and returns
 * the document to read once that has committed; or when the next slot opens.
 */
export async function exportData(op: PrivacyOperation, deps: ExportDeps): Promise<ExportClaim> {
  const { userId } = op.actor;
  const { now } = op;
  const claim = await claimExportSlot(op.db, userId, now, EXPORT_INTERVAL_MS);
  if (!claim.ok) return claim;
  const messages = await countMessagesBy(op.db, userId, { rules: deps.retention.rules, now });
  await writeAudit(op.db, {
    at: now,
    action: "export.made",
    actor: deps.hashId(userId),
    target: deps.hashId(userId),
    counts: { messages },
  });
  const sources = {
    sql: deps.sql,
    vault: deps.vault,
    hashId: deps.hashId,
    rules: deps.retention.rules,
  };
  return {
    ok: true,
    fileName: exportFileName(userId, now),
    document: () => exportDocument(sources, userId, now),
    release: () => releaseExportSlot(deps.sql, userId, now, claim.previous),
  };
}

const encoder = new TextEncoder();

/** What goes before a batch of messages: the first starts the list, the others follow one. */
const FIRST_LEAD = Buffer.from("\n  ");
const NEXT_LEAD = Buffer.from(",\n  ");

/** What the conversations plugin stores: per form, its runs, each with the updates it received. */
const formState = z.object({
  state: z.record(
    z.string(),
    z.array(
      z.object({
        replay: z.object({ receive: z.array(z.object({ returnValue: z.unknown() })) }),
      }),
    ),
  ),
});
const receivedUpdate = z.object({
  update_id: z.number(),
  message: z
    .object({
      from: z.object({ id: z.number() }).optional(),
      date: z.number(),
      text: z.string().optional(),
      caption: z.string().optional(),
    })
    .optional(),
  callback_query: z
    .object({ from: z.object({ id: z.number() }), data: z.string().optional() })
    .optional(),
});

export type FormAnswer = { at: Date; text: string } | { at: null; button: string };

/**
 * What the person has answered so far in their forms: their own messages and button
 * presses, and nothing else the stored updates carry (other people's names and words in a
 * replied-to message, the group's title).
 */
export function formAnswers(
  state: unknown,
  userId: number,
): { form: string; answers: FormAnswer[] }[] {
  const parsed = formState.safeParse(state);
  if (!parsed.success) return [];
  return Object.entries(parsed.data.state).map(([form, runs]) => ({
    form,
    answers: runs.flatMap((run) =>
      run.replay.receive.flatMap(({ returnValue }): FormAnswer[] => {
        const update = receivedUpdate.safeParse(returnValue);
        if (!update.success) return [];
        const { message, callback_query: press } = update.data;
        const text = message?.text ?? message?.caption;
        if (message?.from?.id === userId && text !== undefined) {
          return [{ at: new Date(message.date * 1000), text }];
        }
        if (press?.from.id === userId && press.data !== undefined) {
          return [{ at: null, button: press.data }];
        }
        return [];
      }),
    ),
  }));
}

/** A list's elements as the document lays them out: one a line. */
const list = (elements: string) => (elements === "" ? "[]" : `[\n  ${elements}\n ]`);

/**
 * A person's data as a JSON document, produced piece by piece: the messages come a batch
 * per statement as JSON that PostgreSQL built, with only their texts opened and spliced in
 * here, so however many there are, about one batch is in memory at a time. One read-only
 * repeatable-read transaction gives the whole document one point in time.
 */
export async function* exportDocument(
  { sql, vault, hashId, rules, batchSize = EXPORT_BATCH_SIZE }: ExportSources,
  userId: number,
  now: Date,
): AsyncGenerator<Uint8Array> {
  const db = await sql.reserve();
  let open = true;
  try {
    await db`begin isolation level repeatable read read only`;
    const head = (await exportHead(db, userId)).open(vault);
    const forms = (await conversationsOf(db, vault, userId)).flatMap((form) =>
      formAnswers(form.state, userId).map(({ form: name, answers }) =>
        JSON.stringify({ chat_id: form.chatId, form: name, updated_at: form.updatedAt, answers }),
      ),
    );
    yield encoder.encode(
      `{\n "format_version": ${EXPORT_FORMAT_VERSION},\n "exported_at": ${JSON.stringify(now)},\n` +
        ` "user": ${head.user || JSON.stringify({ id: userId })},\n` +
        ` "consents": ${list(head.consents)},\n` +
        ` "teams": ${list(head.teams)},\n` +
        ` "digest": ${head.digest || "null"},\n` +
        ` "tasks_created": ${list(head.tasks_created)},\n` +
        ` "tasks_assigned": ${list(head.tasks_assigned)},\n` +
        // The team's tasks that copy this person's words (/task in reply, "From a message").
        ` "tasks_from_my_messages": ${list(head.tasks_from_my_messages)},\n` +
        ` "forms_in_progress": ${list(forms.join(",\n  "))},\n` +
        ` "confirmations": ${list(head.confirmations)},\n` +
        ` "messages": [`,
    );
    let first = true;
    // A generator: the next batch is read only once the reader has taken this one, so a
    // slow upload holds back the database reads and memory stays at about a batch.
    for await (const batch of exportMessageBatches(db, userId, { rules, now }, batchSize)) {
      yield openBatch(vault, batch, first ? FIRST_LEAD : NEXT_LEAD);
      first = false;
    }
    const audit = await auditAboutJson(db, hashId(userId));
    yield encoder.encode(`${first ? "" : "\n "}],\n "audit": ${audit}\n}\n`);
    await db`commit`;
    open = false;
  } finally {
    // Also reached when the reader stops early (an upload failed): end the transaction
    // before the connection goes back to the pool.
    if (open) await db`rollback`.catch(() => {});
    db.release();
  }
}
