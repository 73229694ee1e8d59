import { describeError, type Logger } from "./logger.ts";

/**
 * Work started after a commit that no update waits for (a callback query's answer, an
 * export's upload, a purge's progress): an update's slot and its chat's turn end with its
 * transaction, never with Telegram's answer. Tracked, so a stopping service (and a test)
 * can wait until it is done; a failure is logged with the label, never thrown.
 */
export class BackgroundWork {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly log: Logger) {}

  start(label: string, work: () => Promise<unknown>): void {
    const run = work()
      .then(
        () => undefined,
        (error: unknown) => this.log.warn({ err: describeError(error) }, `${label} failed`),
      )
      .finally(() => this.running.delete(run));
    this.running.add(run);
  }

  /** Resolves once nothing runs, including work started by the work waited for. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
