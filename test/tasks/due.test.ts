import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { formatDue, isOverdue, parseDue } from "#bot/tasks/due";

const UNREADABLE = `I couldn't read that date. Try "tomorrow", "friday", "in 3 days" or "2026-12-24 15:00".`;
const PAST = "That date is in the past.";
const TOO_FAR = "That date is too far ahead.";

const KYIV = "Europe/Kyiv";
const NEW_YORK = "America/New_York";
const ZONES = ["UTC", KYIV, NEW_YORK];

// A Saturday in all three zones: 10:00 UTC, 12:00 in Kyiv, 05:00 in New York.
const SATURDAY = new Date("2026-11-28T10:00:00Z");

/** The instant of a wall-clock time in a zone, e.g. local("2026-12-24T15:00", KYIV). */
function local(wallTime: string, zone: string): Date {
  return DateTime.fromISO(wallTime, { zone }).toJSDate();
}

function wholeDay(date: string, zone: string) {
  return { ok: true, due: { at: local(date, zone), hasTime: false } };
}

function timed(wallTime: string, zone: string) {
  return { ok: true, due: { at: local(wallTime, zone), hasTime: true } };
}

describe("parseDue", () => {
  describe.each(ZONES)("in %s, on Saturday 2026-11-28", (zone) => {
    it.each([
      ["today", "2026-11-28"],
      ["tomorrow", "2026-11-29"],
      ["in 3 days", "2026-12-01"],
      ["in 2 weeks", "2026-12-12"],
      ["friday", "2026-12-04"],
      ["fri", "2026-12-04"],
      ["next friday", "2026-12-04"],
      ["on friday", "2026-12-04"],
      ["by friday", "2026-12-04"],
      ["due friday", "2026-12-04"],
      ["due by friday", "2026-12-04"],
      ["monday", "2026-11-30"],
      ["2026-12-24", "2026-12-24"],
      ["24 Dec", "2026-12-24"],
      ["24.12.2026", "2026-12-24"],
      ["24 Dec 2027", "2027-12-24"],
    ])("reads %j as the whole day %s", (text, date) => {
      expect(parseDue(text, SATURDAY, zone)).toEqual(wholeDay(date, zone));
    });

    it.each([
      ["2026-12-24 15:00", "2026-12-24T15:00"],
      ["Dec 24 3pm", "2026-12-24T15:00"],
      ["tomorrow 9:00", "2026-11-29T09:00"],
      ["friday 17:30", "2026-12-04T17:30"],
      ["in 3 days 15:00", "2026-12-01T15:00"],
      ["next friday 17:30", "2026-12-04T17:30"],
    ])("reads %j as %s on the user's clock", (text, wallTime) => {
      expect(parseDue(text, SATURDAY, zone)).toEqual(timed(wallTime, zone));
    });

    it.each([
      ["in 3 hours", "2026-11-28T13:00:00Z"],
      ["in 90 minutes", "2026-11-28T11:30:00Z"],
      ["in an hour", "2026-11-28T11:00:00Z"],
      ["in half an hour", "2026-11-28T10:30:00Z"],
      ["in 2 hours and 30 minutes", "2026-11-28T12:30:00Z"],
      ["in 1h 30m", "2026-11-28T11:30:00Z"],
    ])("reads %j as elapsed time from now, with a time", (text, instant) => {
      expect(parseDue(text, SATURDAY, zone)).toEqual({
        ok: true,
        due: { at: new Date(instant), hasTime: true },
      });
    });

    it("reads a weekday on that same weekday as today (the nearest one, as Todoist does)", () => {
      expect(parseDue("saturday", SATURDAY, zone)).toEqual(wholeDay("2026-11-28", zone));
      expect(parseDue("sat", SATURDAY, zone)).toEqual(wholeDay("2026-11-28", zone));
    });

    it("reads 'next' plus today's weekday as a week from today", () => {
      expect(parseDue("next saturday", SATURDAY, zone)).toEqual(wholeDay("2026-12-05", zone));
    });

    it("ignores case and surrounding whitespace", () => {
      expect(parseDue("  TOMORROW  ", SATURDAY, zone)).toEqual(wholeDay("2026-11-29", zone));
      expect(parseDue("Friday   17:30", SATURDAY, zone)).toEqual(timed("2026-12-04T17:30", zone));
    });
  });

  describe("weekdays and times of day", () => {
    const wednesday = new Date("2026-11-25T10:00:00Z");

    it("reads 'next friday' said on a Wednesday as the Friday of the following week", () => {
      expect(parseDue("friday", wednesday, "UTC")).toEqual(wholeDay("2026-11-27", "UTC"));
      expect(parseDue("next friday", wednesday, "UTC")).toEqual(wholeDay("2026-12-04", "UTC"));
    });

    it("reads today's weekday with a time still ahead as today", () => {
      // 05:00 in New York.
      expect(parseDue("saturday 9:00", SATURDAY, NEW_YORK)).toEqual(
        timed("2026-11-28T09:00", NEW_YORK),
      );
    });

    it("reads today's weekday with a time already gone as the same weekday next week", () => {
      expect(parseDue("saturday 9:00", SATURDAY, "UTC")).toEqual(timed("2026-12-05T09:00", "UTC"));
    });

    it("reads a time alone as today, or tomorrow once it has gone", () => {
      expect(parseDue("15:00", SATURDAY, "UTC")).toEqual(timed("2026-11-28T15:00", "UTC"));
      expect(parseDue("9:00", SATURDAY, "UTC")).toEqual(timed("2026-11-29T09:00", "UTC"));
    });

    it("reads 'at' before a time", () => {
      expect(parseDue("at noon", SATURDAY, "UTC")).toEqual(timed("2026-11-28T12:00", "UTC"));
      expect(parseDue("tomorrow at 17:00", SATURDAY, "UTC")).toEqual(
        timed("2026-11-29T17:00", "UTC"),
      );
    });

    it("refuses an hour without minutes or am/pm, which could be morning or evening", () => {
      const unreadable = { ok: false, reason: UNREADABLE };
      expect(parseDue("tomorrow at 5", SATURDAY, "UTC")).toEqual(unreadable);
      expect(parseDue("friday at 9", SATURDAY, "UTC")).toEqual(unreadable);
      expect(parseDue("tomorrow at 5pm", SATURDAY, "UTC")).toEqual(
        timed("2026-11-29T17:00", "UTC"),
      );
      expect(parseDue("tomorrow at 17", SATURDAY, "UTC")).toEqual(timed("2026-11-29T17:00", "UTC"));
    });

    it("uses the user's calendar day, not the UTC one", () => {
      // Saturday 23:30 UTC is already Sunday 01:30 in Kyiv and still Saturday 18:30 in New York.
      const lateSaturday = new Date("2026-11-28T23:30:00Z");
      expect(parseDue("today", lateSaturday, KYIV)).toEqual(wholeDay("2026-11-29", KYIV));
      expect(parseDue("today", lateSaturday, NEW_YORK)).toEqual(wholeDay("2026-11-28", NEW_YORK));
      expect(parseDue("sunday", lateSaturday, KYIV)).toEqual(wholeDay("2026-11-29", KYIV));
      expect(parseDue("sunday", lateSaturday, NEW_YORK)).toEqual(wholeDay("2026-11-29", NEW_YORK));
    });
  });

  describe("across a daylight saving change", () => {
    // Kyiv leaves summer time on Sunday 2026-10-25: 04:00 (UTC+3) becomes 03:00 (UTC+2).
    const kyivSaturday = local("2026-10-24T10:00", KYIV);

    it("builds a wall-clock time on the other side with the new offset", () => {
      const result = parseDue("tomorrow 9:00", kyivSaturday, KYIV);
      expect(result).toEqual({
        ok: true,
        due: { at: new Date("2026-10-25T07:00:00Z"), hasTime: true },
      });
    });

    it("starts a whole day at local midnight on both sides of the change", () => {
      expect(parseDue("tomorrow", kyivSaturday, KYIV)).toEqual({
        ok: true,
        due: { at: new Date("2026-10-24T21:00:00Z"), hasTime: false },
      });
      expect(parseDue("in 3 days", kyivSaturday, KYIV)).toEqual({
        ok: true,
        due: { at: new Date("2026-10-26T22:00:00Z"), hasTime: false },
      });
    });

    it("adds elapsed hours, so the clock reads one hour less after falling back", () => {
      const halfPastMidnight = local("2026-10-25T00:30", KYIV);
      const result = parseDue("in 4 hours", halfPastMidnight, KYIV);
      expect(result).toEqual({
        ok: true,
        due: { at: new Date("2026-10-25T01:30:00Z"), hasTime: true },
      });
      // Wall-clock arithmetic would have said 04:30.
      if (result.ok) expect(formatDue(result.due, halfPastMidnight, KYIV)).toBe("today 03:30");
    });

    // New York enters summer time on Sunday 2027-03-14: 02:00 (UTC-5) becomes 03:00 (UTC-4).
    const newYorkSaturday = local("2027-03-13T12:00", NEW_YORK);

    it("builds a New York time after springing forward with the summer offset", () => {
      expect(parseDue("tomorrow 12:00", newYorkSaturday, NEW_YORK)).toEqual({
        ok: true,
        due: { at: new Date("2027-03-14T16:00:00Z"), hasTime: true },
      });
      expect(parseDue("in 24 hours", newYorkSaturday, NEW_YORK)).toEqual({
        ok: true,
        due: { at: new Date("2027-03-14T17:00:00Z"), hasTime: true },
      });
    });

    it("moves a time that the clocks skip to the hour after", () => {
      expect(parseDue("tomorrow 2:30", newYorkSaturday, NEW_YORK)).toEqual({
        ok: true,
        due: { at: new Date("2027-03-14T07:30:00Z"), hasTime: true },
      });
    });
  });

  describe("rejections", () => {
    it.each([
      [""],
      ["soon"],
      ["next"],
      ["due"],
      ["march"],
      ["Plan March release"],
      ["call mom friday"],
      ["friday please"],
      ["this evening"],
      ["now"],
      ["friday - monday"],
      ["Dec 24 3pm-5pm"],
      ["3 hours from now"],
      ["in 1 day 3 hours"],
    ])("does not read %j as a date", (text) => {
      expect(parseDue(text, SATURDAY, "UTC")).toEqual({ ok: false, reason: UNREADABLE });
    });

    it.each([["2026-02-30"], ["30 Feb"], ["2026-13-01"], ["2026-12-24 25:00"]])(
      "treats the invalid calendar date %j as unreadable",
      (text) => {
        expect(parseDue(text, SATURDAY, "UTC")).toEqual({ ok: false, reason: UNREADABLE });
      },
    );

    it("refuses numeric dates whose day and month could be swapped", () => {
      expect(parseDue("05/06/2027", SATURDAY, "UTC")).toEqual({ ok: false, reason: UNREADABLE });
      expect(parseDue("12/24/2026", SATURDAY, "UTC")).toEqual(wholeDay("2026-12-24", "UTC"));
    });

    it.each([["yesterday"], ["2026-11-27"], ["today 9:00"], ["2026-11-28 09:59"], ["last friday"]])(
      "says %j is in the past",
      (text) => {
        expect(parseDue(text, SATURDAY, "UTC")).toEqual({ ok: false, reason: PAST });
      },
    );

    it("accepts a time in the current minute", () => {
      const halfMinuteLater = new Date("2026-11-28T10:00:30Z");
      expect(parseDue("today 10:00", halfMinuteLater, "UTC")).toEqual(
        timed("2026-11-28T10:00", "UTC"),
      );
    });

    it("judges the past on the user's clock", () => {
      // 09:00 has passed in UTC (10:00) but not in New York (05:00).
      expect(parseDue("today 9:00", SATURDAY, NEW_YORK)).toEqual(
        timed("2026-11-28T09:00", NEW_YORK),
      );
    });

    it("says a date more than ten years ahead is too far", () => {
      expect(parseDue("2036-11-29", SATURDAY, "UTC")).toEqual({ ok: false, reason: TOO_FAR });
      expect(parseDue("in 11 years", SATURDAY, "UTC")).toEqual({ ok: false, reason: TOO_FAR });
      expect(parseDue("2036-11-27", SATURDAY, "UTC")).toEqual(wholeDay("2036-11-27", "UTC"));
    });

    it("throws on an unknown time zone, which is a programming error", () => {
      expect(() => parseDue("tomorrow", SATURDAY, "Mars/Olympus_Mons")).toThrow(RangeError);
    });
  });
});

describe("formatDue", () => {
  const day = (date: string) => ({ at: local(date, KYIV), hasTime: false });
  const at = (wallTime: string) => ({ at: local(wallTime, KYIV), hasTime: true });

  it.each([
    ["2026-11-28", "today"],
    ["2026-11-29", "tomorrow"],
    ["2026-11-27", "yesterday"],
    ["2026-11-30", "Mon"],
    ["2026-12-04", "Fri"],
    ["2026-12-05", "5 Dec"],
    ["2026-11-20", "20 Nov"],
    ["2026-12-24", "24 Dec"],
    ["2027-01-02", "2 Jan 2027"],
    ["2025-12-24", "24 Dec 2025"],
  ])("shows the whole day %s as %j", (date, shown) => {
    expect(formatDue(day(date), SATURDAY, KYIV)).toBe(shown);
  });

  it.each([
    ["2026-11-28T15:00", "today 15:00"],
    ["2026-11-29T09:00", "tomorrow 09:00"],
    ["2026-11-27T23:59", "yesterday 23:59"],
    ["2026-12-04T17:30", "Fri 17:30"],
    ["2026-12-24T15:00", "24 Dec 15:00"],
    ["2027-12-24T08:05", "24 Dec 2027 08:05"],
  ])("shows the time %s as %j", (wallTime, shown) => {
    expect(formatDue(at(wallTime), SATURDAY, KYIV)).toBe(shown);
  });

  it("shows the day and the time in the user's zone", () => {
    const due = { at: new Date("2026-11-28T23:30:00Z"), hasTime: true };
    expect(formatDue(due, SATURDAY, "UTC")).toBe("today 23:30");
    expect(formatDue(due, SATURDAY, KYIV)).toBe("tomorrow 01:30");
    expect(formatDue(due, SATURDAY, NEW_YORK)).toBe("today 18:30");
  });

  it("counts calendar days across a daylight saving change", () => {
    const kyivSaturday = local("2026-10-24T23:00", KYIV);
    expect(formatDue(day("2026-10-25"), kyivSaturday, KYIV)).toBe("tomorrow");
    expect(formatDue(day("2026-10-26"), kyivSaturday, KYIV)).toBe("Mon");
  });
});

describe("isOverdue", () => {
  it("is overdue once a time has passed", () => {
    const due = { at: new Date("2026-11-28T10:00:00Z"), hasTime: true };
    expect(isOverdue(due, new Date("2026-11-28T09:59:59Z"), KYIV)).toBe(false);
    expect(isOverdue(due, new Date("2026-11-28T10:00:00Z"), KYIV)).toBe(false);
    expect(isOverdue(due, new Date("2026-11-28T10:00:01Z"), KYIV)).toBe(true);
  });

  it("keeps a whole day open until it ends in the user's zone", () => {
    const due = { at: local("2026-11-28", KYIV), hasTime: false };
    expect(isOverdue(due, local("2026-11-28T23:59", KYIV), KYIV)).toBe(false);
    expect(isOverdue(due, local("2026-11-29T00:00", KYIV), KYIV)).toBe(true);
  });

  it("is not overdue for a day still ahead", () => {
    const due = { at: local("2026-11-29", NEW_YORK), hasTime: false };
    expect(isOverdue(due, SATURDAY, NEW_YORK)).toBe(false);
  });

  it("ends a 25-hour day when the clocks fall back at its true end", () => {
    // 2026-10-25 in Kyiv runs from 21:00 UTC the day before to 22:00 UTC.
    const due = { at: local("2026-10-25", KYIV), hasTime: false };
    expect(isOverdue(due, new Date("2026-10-25T21:59:59Z"), KYIV)).toBe(false);
    expect(isOverdue(due, new Date("2026-10-25T22:00:00Z"), KYIV)).toBe(true);
  });
});
