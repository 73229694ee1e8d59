/**
 * Every test worker sees the wall clock a year ahead (a setup file in vitest.config.ts).
 *
 * Tests take time from the harness clock (FakeClock, at TEST_EPOCH), never from the real date.
 * A test or factory that reads the real date anyway is a time bomb: it passes on the day it was
 * written and fails weeks later. Moving the wall clock far from the harness clock makes such a
 * test fail on the day it is written instead. `TEST_WALL_CLOCK_OFFSET_DAYS=0` turns the shift off
 * (to tell whether a failure is a time bomb); any other number moves the clock that many days.
 */

const RealDate = globalThis.Date;
const DAY_MS = 24 * 60 * 60 * 1000;
const DEFAULT_OFFSET_DAYS = 400;

export function wallClockOffsetMs(env: Record<string, string | undefined> = process.env): number {
  const raw = env.TEST_WALL_CLOCK_OFFSET_DAYS;
  const days = raw === undefined || raw === "" ? DEFAULT_OFFSET_DAYS : Number(raw);
  if (!Number.isFinite(days)) {
    throw new Error(`TEST_WALL_CLOCK_OFFSET_DAYS must be a number of days, not "${raw}"`);
  }
  return days * DAY_MS;
}

/** The real time, for the few things that must not move with the tests' wall clock. */
export function realNow(): Date {
  return new RealDate(RealDate.now());
}

/** A Date that behaves as the real one but for where "now" is. */
export function shiftedDate(offsetMs: number): DateConstructor {
  const now = () => RealDate.now() + offsetMs;
  return new Proxy(RealDate, {
    construct(target, args, newTarget) {
      return Reflect.construct(target, args.length === 0 ? [now()] : args, newTarget);
    },
    // `Date()` called without `new` returns the current time as a string.
    apply() {
      return new RealDate(now()).toString();
    },
    get(target, property, receiver) {
      if (property === "now") return now;
      return Reflect.get(target, property, receiver);
    },
  });
}

const offset = wallClockOffsetMs();
if (offset !== 0) globalThis.Date = shiftedDate(offset);
