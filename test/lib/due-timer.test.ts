import { afterEach, describe, expect, it } from "vitest";
import { createDueTimer, type DueTimer, type DueWork } from "#bot/lib/due-timer";
import { FakeClock } from "#test/helpers/clock";
import { captureLogs } from "#test/helpers/logs";

const timers: DueTimer[] = [];
afterEach(async () => {
  await Promise.all(timers.splice(0).map((timer) => timer.stop()));
});

/** Work whose next moment the test sets; runs are counted and do whatever `onRun` says. */
function work(options: { next: () => Date | null; onRun?: () => void }) {
  const runs: Date[] = [];
  let changed: (() => void) | undefined;
  const clock = new FakeClock();
  const logs = captureLogs();
  const due: DueWork = {
    name: "test",
    async run() {
      runs.push(clock.now());
      options.onRun?.();
    },
    async nextDue() {
      return options.next();
    },
    async listen(onChange) {
      changed = onChange;
      return async () => {
        changed = undefined;
      };
    },
  };
  const timer = createDueTimer(due, { clock, log: logs.log });
  timers.push(timer);
  return { timer, runs, clock, logs, announce: () => changed?.() };
}

describe("the due timer", () => {
  it("runs at start what is already due (the service was down), then waits", async () => {
    let next: Date | null = new Date("2026-11-28T09:00:00Z");
    const { timer, runs, clock } = work({
      next: () => next,
      onRun: () => {
        next = null;
      },
    });
    await timer.start();
    expect(await timer.wake()).toBeNull();
    expect(runs).toEqual([clock.now()]);
  });

  it("does not run again at once what is still due after a run (another instance holds it)", async () => {
    const past = new Date("2026-11-28T09:00:00Z");
    const { timer, runs } = work({ next: () => past });
    await timer.start();
    expect(await timer.wake()).toEqual(past);
    // Right after its run the timer pauses (a second) instead of spinning on the same moment.
    expect(runs).toHaveLength(1);
    expect(await timer.wake()).toEqual(past);
    expect(runs).toHaveLength(2);
  });

  it("looks again when told of a change, without running before the moment", async () => {
    let next: Date | null = new Date("2026-11-28T15:00:00Z");
    const { timer, runs, announce } = work({ next: () => next });
    await timer.start();
    expect(await timer.wake()).toEqual(next);
    next = new Date("2026-11-28T12:00:00Z");
    announce();
    await expect.poll(() => timer.armedFor()).toEqual(new Date("2026-11-28T12:00:00Z"));
    expect(runs).toEqual([]);
  });

  it("keeps going after a failed look, and logs it", async () => {
    let failures = 1;
    const at = new Date("2026-11-28T15:00:00Z");
    const { timer, logs } = work({
      next: () => {
        if (failures-- > 0) throw new Error("database away");
        return at;
      },
    });
    await timer.start();
    expect(await timer.wake()).toEqual(at);
    expect(logs.lines().map((line) => line.msg)).toContain(
      "due timer: looking for the next moment failed",
    );
  });
});
