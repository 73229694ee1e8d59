import { describe, expect, it } from "vitest";
import { TEST_EPOCH } from "./clock.ts";
import { alice, makeUpdates } from "./updates.ts";
import { realNow, shiftedDate, wallClockOffsetMs } from "./wall-clock.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

describe("the tests' wall clock", () => {
  it("runs at least a year ahead of the real date in every test worker", () => {
    expect(Date.now() - realNow().getTime()).toBeGreaterThanOrEqual(365 * DAY_MS);
    const constructed = new Date();
    expect(constructed.getTime() - realNow().getTime()).toBeGreaterThanOrEqual(365 * DAY_MS);
  });

  it("moves only 'now': explicit dates, parsing and instanceof behave as the real Date", () => {
    const Shifted = shiftedDate(10 * DAY_MS);
    expect(new Shifted(TEST_EPOCH).toISOString()).toBe("2026-11-28T10:00:00.000Z");
    expect(Shifted.parse(TEST_EPOCH)).toBe(Date.parse(TEST_EPOCH));
    expect(Shifted.UTC(2026, 10, 28)).toBe(Date.UTC(2026, 10, 28));
    expect(new Shifted() instanceof Date).toBe(true);
    expect(new Shifted().getTime() - realNow().getTime()).toBeGreaterThanOrEqual(
      10 * DAY_MS - 1000,
    );
  });

  it("takes its offset in days from TEST_WALL_CLOCK_OFFSET_DAYS, and refuses anything else", () => {
    expect(wallClockOffsetMs({ TEST_WALL_CLOCK_OFFSET_DAYS: "0" })).toBe(0);
    expect(wallClockOffsetMs({ TEST_WALL_CLOCK_OFFSET_DAYS: "-5" })).toBe(-5 * DAY_MS);
    expect(wallClockOffsetMs({})).toBe(400 * DAY_MS);
    expect(() => wallClockOffsetMs({ TEST_WALL_CLOCK_OFFSET_DAYS: "soon" })).toThrow(
      /number of days/,
    );
  });

  it("never dates an update by the real clock: without a clock, updates carry the test epoch", () => {
    const update = makeUpdates().privateText(alice, "hello");
    expect(update.message?.date).toBe(Date.parse(TEST_EPOCH) / 1000);
  });
});
