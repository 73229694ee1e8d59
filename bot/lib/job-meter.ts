/** How a job's runs are told to whoever counts them (the metrics); domain-free. */
export interface JobMeter {
  /**
   * One run of `job` ended after `seconds`: "ok" with what it handled (a count per kind),
   * "skipped" (another instance had it) or "failed".
   */
  ran(
    job: string,
    result: "ok" | "skipped" | "failed",
    seconds: number,
    counts?: Readonly<Record<string, number>>,
  ): void;
}

/**
 * Runs `work` and tells the meter how it went: `summary` turns its result into the counts
 * (or "skipped"); a run that throws is told as failed and rethrown.
 */
export async function metered<T>(
  meter: JobMeter | undefined,
  job: string,
  work: () => Promise<T>,
  summary: (result: T) => Readonly<Record<string, number>> | "skipped",
): Promise<T> {
  if (!meter) return work();
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  let result: T;
  try {
    result = await work();
  } catch (error) {
    meter.ran(job, "failed", seconds());
    throw error;
  }
  const counts = summary(result);
  if (counts === "skipped") meter.ran(job, "skipped", seconds());
  else meter.ran(job, "ok", seconds(), counts);
  return result;
}
