import { describeError, type Logger } from "./logger.ts";

export interface Job {
  name: string;
  intervalMs: number;
  run(): Promise<void>;
}

export interface Scheduler {
  stop(): Promise<void>;
}

/**
 * Runs each job every interval, never two runs of one job at once. A failing run is
 * logged and the next one still happens. stop() waits for runs in progress.
 */
export function startJobs(jobs: readonly Job[], log: Logger): Scheduler {
  const running = new Set<Promise<void>>();
  const busy = new Set<string>();
  const timers = jobs.map((job) => {
    const timer = setInterval(() => {
      if (busy.has(job.name)) return;
      busy.add(job.name);
      const run = job
        .run()
        .catch((error: unknown) =>
          log.error({ job: job.name, err: describeError(error) }, "job failed"),
        )
        .finally(() => {
          busy.delete(job.name);
          running.delete(run);
        });
      running.add(run);
    }, job.intervalMs);
    timer.unref();
    return timer;
  });
  return {
    async stop() {
      for (const timer of timers) clearInterval(timer);
      await Promise.all(running);
    },
  };
}
