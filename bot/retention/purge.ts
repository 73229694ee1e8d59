import type { Sql } from "postgres";
import type { Clock } from "#bot/lib/clock";
import type { Logger } from "#bot/lib/logger";
import type { Job } from "#bot/lib/schedule";
import { writeAudit } from "#db/audit";
import { forgetConfirmationsBefore } from "#db/confirmations";
import { forgetConversationsBefore } from "#db/conversations";
import {
  type Batch,
  forgetAuditBefore,
  purgeGlobalBatch,
  purgeTeamBatch,
  type RetentionRules,
  recordPurge,
  teamsWithOwnPeriod,
  unlinkExpiredSources,
  whileHoldingPurgeLock,
} from "#db/retention";
import { forgetUpdatesBefore } from "#db/updates";

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
/** Telegram stops redelivering an update after a day. */
export const REMEMBER_UPDATES_MS = DAY;
/** A form nobody touched for a week is abandoned. */
export const ABANDONED_FORM_MS = 7 * DAY;
/** Between batches, so the disk and the locks are free for updates a moment. */
const PAUSE_BETWEEN_BATCHES_MS = 1;

/** How retention is configured: the rules, and how the purge goes about it. */
export interface RetentionSettings {
  rules: RetentionRules;
  /** Messages deleted per statement. */
  batchSize: number;
  auditRetentionDays: number;
  /** 0: no scheduled purge. */
  purgeIntervalMinutes: number;
}

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
}

export interface PurgeCounts {
  messages: number;
  sourceLinks: number;
  updateIds: number;
  forms: number;
  confirmations: number;
  auditEntries: number;
}

export type PurgeOutcome = { ran: true; counts: PurgeCounts } | { ran: false };

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
        counts: {
          messages: counts.messages,
          source_links: counts.sourceLinks,
          update_ids: counts.updateIds,
          forms: counts.forms,
          confirmations: counts.confirmations,
          audit_entries: counts.auditEntries,
        },
      });
      await recordPurge(tx, { at: now, trigger: request.trigger, counts: { ...counts } });
    });
    return counts;
  });
  return outcome.ran ? { ran: true, counts: outcome.result } : { ran: false };
}

export function purgeJob(deps: PurgeDeps): Job {
  return {
    name: "retention-purge",
    intervalMs: deps.retention.purgeIntervalMinutes * 60 * 1000,
    async run() {
      const outcome = await purgeExpired(deps, { trigger: "schedule", actor: null });
      if (outcome.ran) deps.log.info(outcome.counts, "scheduled purge done");
      else deps.log.info("scheduled purge skipped: another instance is purging");
    },
  };
}
