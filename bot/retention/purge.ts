import type { Job } from "#bot/lib/schedule";
import { type PurgeDeps, purgeExpired } from "./core/purge.ts";

/** The scheduled purge: the core's work on a timer, with a line in the log. */
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
