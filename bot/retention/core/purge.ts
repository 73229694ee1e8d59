import type { Sql } from "postgres";
import type { Clock } from "#bot/lib/clock";
import type { Logger } from "#bot/lib/logger";
import type { RetentionSettings } from "#bot/lib/retention-settings";
import { writeAudit } from "#db/audit";
import { forgetConfirmationsBefore } from "#db/confirmations";
import { forgetConversationsBefore } from "#db/conversations";
import {
  type Batch,
  countMessages,
  forgetAuditBefore,
  lastPurge,
  type MessageCounts,
  purgeGlobalBatch,
  purgeTeamBatch,
  recordPurge,
  teamsWithOwnPeriod,
  unlinkExpiredSources,
  whileHoldingPurgeLock,
} from "#db/retention";
import { forgetUpdatesBefore } from "#db/updates";
import { requireAdmin } from "./period.ts";
import type { RetentionDeps, RetentionOperation } from "./types.ts";

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
/** Telegram stops redelivering an update after a day. */
export const REMEMBER_UPDATES_MS = DAY;
/** A form nobody touched for a week is abandoned. */
export const ABANDONED_FORM_MS = 7 * DAY;
/** Between batches, so the disk and the locks are free for updates a moment. */
const PAUSE_BETWEEN_BATCHES_MS = 1;

export interface PurgeDeps {
  sql: Sql;
  clock: Clock;
  log: Logger;
  retention: RetentionSettings;
  /** Waits between batches; tests and benchmarks may replace it. */
  pause?: () => Promise<void>;
}

export interface PurgeRequest {
  trigger: "schedule" | "admin";
  /** Keyed hash of the admin who asked; null for the schedule. */
  actor: string | null;
  /** Told the running total of deleted messages after each batch. */
  onProgress?: (deletedMessages: number) => Promise<void>;
  /**
   * Skips the run when a purge (on any instance) finished after this moment: every instance
   * runs the schedule, and the cluster needs one purge per interval, not one per instance.
   */
  unlessPurgedSince?: Date;
}

export interface PurgeCounts {
  messages: number;
  sourceLinks: number;
  updateIds: number;
  forms: number;
  confirmations: number;
  auditEntries: number;
}

/** Not run: another instance is purging, or (`recent`) one purged since `unlessPurgedSince`. */
export type PurgeOutcome =
  | { ran: true; counts: PurgeCounts }
  | { ran: false }
  | { ran: false; recent: Date };

const pauseBriefly = () =>
  new Promise<void>((resolve) => setTimeout(resolve, PAUSE_BETWEEN_BATCHES_MS));

/**
 * Deletes every expired message in short batches, then what depends on them and the
 * service's other expired state. One instance at a time: the others skip. Each batch
 * commits on its own and takes only expired rows, so a run killed halfway loses nothing
 * and the next run carries on where it stopped.
 */
export async function purgeExpired(deps: PurgeDeps, request: PurgeRequest): Promise<PurgeOutcome> {
  const { sql, clock } = deps;
  const { rules, batchSize, auditRetentionDays } = deps.retention;
  const pause = deps.pause ?? pauseBriefly;
  const outcome = await whileHoldingPurgeLock(sql, async (db) => {
    // Read under the lock: a run that just finished elsewhere has recorded itself by now.
    const since = request.unlessPurgedSince;
    const last = since ? await lastPurge(db) : null;
    if (since && last && last.at > since) return { recent: last.at };
    let messages = 0;

    const inBatches = async (next: (after: Date) => Promise<Batch>) => {
      let after = new Date(0);
      for (;;) {
        const batch = await next(after);
        messages += batch.deleted;
        await request.onProgress?.(messages);
        if (!batch.reached) return;
        after = batch.reached;
        await pause();
      }
    };
    for (const teamId of await teamsWithOwnPeriod(db)) {
      await inBatches((after) => purgeTeamBatch(db, rules, teamId, after, clock.now(), batchSize));
    }
    await inBatches((after) => purgeGlobalBatch(db, rules, after, clock.now(), batchSize));

    const now = clock.now();
    const counts: PurgeCounts = {
      messages,
      sourceLinks: await unlinkExpiredSources(db, rules, now),
      updateIds: await forgetUpdatesBefore(db, new Date(now.getTime() - REMEMBER_UPDATES_MS)),
      forms: await forgetConversationsBefore(db, new Date(now.getTime() - ABANDONED_FORM_MS)),
      // An expired confirmation button can never be used; the row only says someone asked.
      confirmations: await forgetConfirmationsBefore(db, now),
      auditEntries: await forgetAuditBefore(db, new Date(now.getTime() - auditRetentionDays * DAY)),
    };
    // The record of the run is written durably, unlike the batches.
    await sql.begin(async (tx) => {
      await writeAudit(tx, {
        at: now,
        action: "retention.purged",
        actor: request.actor,
        target: request.trigger,
        counts: rowsPurged(counts),
      });
      await recordPurge(tx, { at: now, trigger: request.trigger, counts: { ...counts } });
    });
    return { counts };
  });
  if (!outcome.ran) return { ran: false };
  if ("recent" in outcome.result) return { ran: false, recent: outcome.result.recent };
  return { ran: true, counts: outcome.result.counts };
}

/** What a purge now would delete (the admin confirms with the count), for admins. */
export async function purgePreview(
  op: RetentionOperation,
  deps: RetentionDeps,
): Promise<MessageCounts> {
  requireAdmin(op.actor);
  return countMessages(op.db, deps.retention.rules, op.now);
}

/**
 * An admin's purge, once they confirmed: it runs outside the unit's transaction (each batch
 * commits on its own), so an edge calls it after the confirmation has committed.
 */
export async function purgeNow(
  op: RetentionOperation,
  deps: PurgeDeps & Pick<RetentionDeps, "hashId">,
  request: Pick<PurgeRequest, "onProgress">,
): Promise<PurgeOutcome> {
  requireAdmin(op.actor);
  return purgeExpired(deps, {
    trigger: "admin",
    actor: deps.hashId(op.actor.userId),
    ...(request.onProgress ? { onProgress: request.onProgress } : {}),
  });
}

/** What a purge removed, by the names its audit entry (and the job's meter) uses. */
export const rowsPurged = (counts: PurgeCounts) => ({
  messages: counts.messages,
  source_links: counts.sourceLinks,
  update_ids: counts.updateIds,
  forms: counts.forms,
  confirmations: counts.confirmations,
  audit_entries: counts.auditEntries,
});
