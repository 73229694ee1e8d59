import type { Clock } from "./clock.ts";
import { describeError, type Logger } from "./logger.ts";

/** Work that falls due at moments the database knows (reminders, digests). */
export interface DueWork {
  /** Names the work in logs. */
  name: string;
  /** Does everything due at the clock's now; safe to run on several instances at once. */
  run(): Promise<void>;
  /** The earliest moment something is due (past or now: due now); null when nothing waits. */
  nextDue(): Promise<Date | null>;
  /**
   * Calls `changed` whenever the earliest moment may have come earlier (something added or
   * moved, on any instance). Resolves once listening, with the way to stop.
   */
  listen(changed: () => void): Promise<() => Promise<void>>;
}

export interface DueTimer {
  /** Listens for changes, then does what is due and arms itself for the next moment. */
  start(): Promise<void>;
  /** Lets a run in progress finish and stops listening. */
  stop(): Promise<void>;
  /**
   * Looks again now (the clock moved, or something changed); resolves once the timer has
   * looked and is armed again, with the moment it then waits for.
   */
  wake(): Promise<Date | null>;
  /** The moment the timer waits for: null when nothing waits, undefined before it first looked. */
  armedFor(): Date | null | undefined;
}

export interface DueTimerOptions {
  clock: Clock;
  log: Logger;
}

/** A lost notification (a reconnect) or a clock change costs at most this: it looks again this often. */
const RECHECK_MS = 60_000;
/** A wait re-reads the clock at least this often (a test's clock moves without a timer). */
const LONGEST_NAP_MS = 5000;
/**
 * What is still due right after a run is held by another instance (it notifies when it
 * settles), or the run failed: run again after this pause, never in a busy loop.
 */
const PAUSE_AFTER_RUN_MS = 1000;
const PAUSE_AFTER_FAILURE_MS = 5000;

/**
 * Runs `work` at each moment it falls due, within a nap of it rather than on a fixed
 * period: after each run it asks when the next thing is due and waits for that moment (at
 * most a minute, as a safety net), and a change announced by the database makes it ask
 * again at once. The moments are the clock's; the waits are real time that re-reads it.
 */
export function createDueTimer(work: DueWork, options: DueTimerOptions): DueTimer {
  const { clock, log } = options;
  let running = false;
  let loop: Promise<void> | undefined;
  let unlisten: (() => Promise<void>) | undefined;
  let armed: Date | null | undefined;
  /** Set by wake() and notifications: the current wait ends and the timer looks again. */
  let changed = false;
  let wakeNap: (() => void) | undefined;
  /** wake() callers waiting for the next look that starts after their call. */
  let asked: Array<(at: Date | null) => void> = [];

  /** Resolves after `ms` of real time (at most a few seconds) or when woken. */
  const nap = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        wakeNap = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, Math.min(ms, LONGEST_NAP_MS)));
      timer.unref();
      wakeNap = done;
    });

  /** Waits until the clock reaches `at`, or until something changed or the timer stopped. */
  const until = async (at: number) => {
    for (let now = clock.now().getTime(); now < at; now = clock.now().getTime()) {
      if (!running || changed) return;
      await nap(at - now);
    }
  };

  /** Pauses `ms` of real time, cut short by a change or stop(). */
  const pause = async (ms: number) => {
    const end = Date.now() + ms;
    for (let left = ms; left > 0 && running && !changed; left = end - Date.now()) {
      await nap(left);
    }
  };

  /** Logs a failed step; the timer goes on after a pause. */
  const failed = (what: string, error: unknown) => {
    log.error({ timer: work.name, err: describeError(error) }, `due timer: ${what} failed`);
  };

  /** The next moment, or "failed" (logged). */
  const lookUp = async (): Promise<Date | null | "failed"> => {
    try {
      return await work.nextDue();
    } catch (error) {
      failed("looking for the next moment", error);
      return "failed";
    }
  };

  /** Runs the work; false (logged) when it failed. */
  const runOnce = async (): Promise<boolean> => {
    try {
      await work.run();
      return true;
    } catch (error) {
      failed("running", error);
      return false;
    }
  };

  const cycle = async () => {
    let justRan = false;
    while (running) {
      changed = false;
      const answering = asked;
      asked = [];
      const next = await lookUp();
      if (next === "failed") {
        for (const answer of answering) answer(armed ?? null);
        await pause(PAUSE_AFTER_FAILURE_MS);
        continue;
      }
      const now = clock.now().getTime();
      const dueNow = next !== null && next.getTime() <= now;
      if (dueNow && !justRan) {
        justRan = true;
        // Whoever asked is answered by the look that follows the run.
        asked.unshift(...answering);
        if (!(await runOnce())) await pause(PAUSE_AFTER_FAILURE_MS);
        continue;
      }
      justRan = false;
      armed = next;
      for (const answer of answering) answer(next);
      if (dueNow) await pause(PAUSE_AFTER_RUN_MS);
      else await until(Math.min(next?.getTime() ?? Number.POSITIVE_INFINITY, now + RECHECK_MS));
    }
  };

  const lookAgain = () => {
    changed = true;
    wakeNap?.();
  };

  return {
    async start() {
      if (running) return;
      running = true;
      unlisten = await work.listen(lookAgain);
      loop = cycle();
    },
    async stop() {
      if (!running) return;
      running = false;
      wakeNap?.();
      await loop;
      await unlisten?.();
      unlisten = undefined;
      for (const answer of asked.splice(0)) answer(armed ?? null);
    },
    wake() {
      if (!running) return Promise.resolve(armed ?? null);
      return new Promise<Date | null>((resolve) => {
        asked.push(resolve);
        lookAgain();
      });
    },
    armedFor: () => armed,
  };
}
