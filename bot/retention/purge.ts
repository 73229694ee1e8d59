import { type JobMeter, metered } from "#bot/lib/job-meter";
import type { Job } from "#bot/lib/schedule";
import { type PurgeDeps, purgeExpired, rowsPurged } from "./core/purge.ts";

/**
 * The scheduled purge: the core's work on a timer, with a line in the log and the meter
 * told. Every instance runs the timer; a run that finds a purge finished within the last
 * half interval (on this instance or another) skips, so the cluster purges once per
 * interval whatever its size.
 */
export function purgeJob(deps: PurgeDeps, meter?: JobMeter): Job {
  const intervalMs = deps.retention.purgeIntervalMinutes * 60 * 1000;
  return {
    name: "retention-purge",
    intervalMs,
    async run() {
      const unlessPurgedSince = new Date(deps.clock.now().getTime() - intervalMs / 2);
      const outcome = await metered(
        meter,
        "purge",
        () => purgeExpired(deps, { trigger: "schedule", actor: null, unlessPurgedSince }),
        (done) => (done.ran ? rowsPurged(done.counts) : "skipped"),
      );
      if (outcome.ran) deps.log.info(outcome.counts, "scheduled purge done");
      else if ("recent" in outcome) {
        deps.log.info("scheduled purge skipped: another run purged less than half an interval ago");
      } else deps.log.info("scheduled purge skipped: another instance is purging");
    },
  };
}
