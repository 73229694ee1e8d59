import { describe, expect, it } from "vitest";
import { parseClockTime, quietUntil } from "#bot/reminders/quiet";

const night = { start: 22 * 60, end: 8 * 60 };

describe("quiet hours", () => {
  it("hold across midnight in the user's timezone and end at their local end", () => {
    // 23:30 in Kyiv (UTC+2) → 08:00 Kyiv the next morning.
    expect(quietUntil(new Date("2026-11-29T21:30:00Z"), "Europe/Kyiv", night)).toEqual(
      new Date("2026-11-30T06:00:00Z"),
    );
    // 07:59 Kyiv → 08:00 the same morning.
    expect(quietUntil(new Date("2026-11-30T05:59:00Z"), "Europe/Kyiv", night)).toEqual(
      new Date("2026-11-30T06:00:00Z"),
    );
    expect(quietUntil(new Date("2026-11-30T06:00:00Z"), "Europe/Kyiv", night)).toBeNull();
    expect(quietUntil(new Date("2026-11-30T12:00:00Z"), "Europe/Kyiv", night)).toBeNull();
  });

  it("end at 08:00 local across a DST change", () => {
    // Kyiv leaves summer time (UTC+3 → UTC+2) at 04:00 on 2026-10-25: 08:00 is then 06:00Z.
    expect(quietUntil(new Date("2026-10-24T20:00:00Z"), "Europe/Kyiv", night)).toEqual(
      new Date("2026-10-25T06:00:00Z"),
    );
    // New York enters summer time on 2026-03-08: 08:00 is 12:00Z, not 13:00Z.
    expect(quietUntil(new Date("2026-03-08T04:00:00Z"), "America/New_York", night)).toEqual(
      new Date("2026-03-08T12:00:00Z"),
    );
  });

  it("within one day, and never when start equals end", () => {
    const lunch = { start: 12 * 60, end: 13 * 60 };
    expect(quietUntil(new Date("2026-11-30T12:30:00Z"), "UTC", lunch)).toEqual(
      new Date("2026-11-30T13:00:00Z"),
    );
    expect(
      quietUntil(new Date("2026-11-30T12:30:00Z"), "UTC", { start: 600, end: 600 }),
    ).toBeNull();
  });

  it("are read from HH:MM", () => {
    expect(parseClockTime("22:00")).toBe(1320);
    expect(parseClockTime("7:05")).toBe(425);
    expect(parseClockTime("24:00")).toBeNull();
    expect(parseClockTime("noon")).toBeNull();
  });
});
