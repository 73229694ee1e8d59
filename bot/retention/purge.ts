import { type JobMeter, metered } from "#bot/lib/job-meter";
import type { Job } from "#bot/lib/schedule";
import { type PurgeCounts, type PurgeDeps, purgeExpired } from "./core/purge.ts";

/** What a purge removed, by the names its audit entry uses. */
const rowsPurged = (counts: PurgeCounts) => ({
  messages: counts.messages,
  source_links: counts.sourceLinks,
  update_ids: counts.updateIds,
  forms: counts.forms,
  confirmations: counts.confirmations,
  audit_entries: counts.auditEntries,
});

/** The scheduled purge: the core's work on a timer, with a line in the log and the meter told. */
export function purgeJob(deps: PurgeDeps, meter?: JobMeter): Job {
  return {
    name: "retention-purge",
    intervalMs: deps.retention.purgeIntervalMinutes * 60 * 1000,
    async run() {
      const outcome = await metered(
        meter,
        "purge",
        () => purgeExpired(deps, { trigger: "schedule", actor: null }),
        (done) => (done.ran ? rowsPurged(done.counts) : "skipped"),
      );
      if (outcome.ran) deps.log.info(outcome.counts, "scheduled purge done");
      else deps.log.info("scheduled purge skipped: another instance is purging");
    },
  };
}
