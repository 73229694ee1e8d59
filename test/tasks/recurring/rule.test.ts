import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { describeRepeat } from "#bot/tasks/recurring/describe";
import { parseRepeat, REPEAT_REASONS } from "#bot/tasks/recurring/parse";
import { firstOccurrence, nextOccurrence, type Occurrence } from "#bot/tasks/recurring/rule";
import type { Repeat, RepeatRule } from "#db/repeat";

const ZONE = "Europe/Kyiv";

/** A local time in the rule's zone, as an instant. */
const local = (text: string) => DateTime.fromISO(text, { zone: ZONE }).toJSDate();
const show = (at: Date) => DateTime.fromJSDate(at, { zone: ZONE }).toFormat("yyyy-MM-dd ccc HH:mm");

const repeat = (rule: RepeatRule): Repeat => ({ rule, zone: ZONE });

/** The next `count` due dates of a schedule completed on time, each at its due time. */
function schedule(rule: RepeatRule, firstDue: string, count: number, hasTime = true): string[] {
  const dates: string[] = [];
  let due = { dueAt: local(firstDue), dueHasTime: hasTime };
  for (let i = 0; i < count; i++) {
    due = nextOccurrence(repeat(rule), due, due.dueAt, due.dueAt);
    dates.push(show(due.dueAt));
  }
  return dates;
}

describe("next occurrence on schedule", () => {
  it("daily keeps the time of day", () => {
    expect(schedule({ every: "days", days: 1, from: "due" }, "2026-12-30T09:00", 3)).toEqual([
      "2026-12-31 Thu 09:00",
      "2027-01-01 Fri 09:00",
      "2027-01-02 Sat 09:00",
    ]);
  });

  it("weekdays jump over the weekend", () => {
    expect(schedule({ every: "weekday" }, "2026-12-03T10:00", 3)).toEqual([
      "2026-12-04 Fri 10:00",
      "2026-12-07 Mon 10:00",
      "2026-12-08 Tue 10:00",
    ]);
  });

  it("weekly on chosen days walks through them in order", () => {
    expect(schedule({ every: "week", weekdays: [1, 4] }, "2026-11-30T08:00", 4)).toEqual([
      "2026-12-03 Thu 08:00",
      "2026-12-07 Mon 08:00",
      "2026-12-10 Thu 08:00",
      "2026-12-14 Mon 08:00",
    ]);
  });

  it("monthly on the 31st falls on each month's last day and comes back to the 31st", () => {
    expect(schedule({ every: "month", day: 31 }, "2026-12-31T00:00", 4, false)).toEqual([
      "2027-01-31 Sun 00:00",
      "2027-02-28 Sun 00:00",
      "2027-03-31 Wed 00:00",
      "2027-04-30 Fri 00:00",
    ]);
  });

  it("monthly on the 29th is the 29th of February in a leap year", () => {
    expect(schedule({ every: "month", day: 29 }, "2028-01-29T12:00", 2)).toEqual([
      "2028-02-29 Tue 12:00",
      "2028-03-29 Wed 12:00",
    ]);
  });

  it("monthly from a first due date off the rule goes to the rule's day", () => {
    expect(schedule({ every: "month", day: 15 }, "2026-12-03T00:00", 2, false)).toEqual([
      "2026-12-15 Tue 00:00",
      "2027-01-15 Fri 00:00",
    ]);
  });

  it("every N days and every 2 weeks count from the due date", () => {
    expect(schedule({ every: "days", days: 3, from: "due" }, "2026-12-01T18:30", 2)).toEqual([
      "2026-12-04 Fri 18:30",
      "2026-12-07 Mon 18:30",
    ]);
    expect(schedule({ every: "days", days: 14, from: "due" }, "2026-12-01T18:30", 2)).toEqual([
      "2026-12-15 Tue 18:30",
      "2026-12-29 Tue 18:30",
    ]);
  });

  it("keeps 09:00 local across the daylight-saving change", () => {
    // Kyiv moves from UTC+2 to UTC+3 on 2027-03-28.
    const next = nextOccurrence(
      repeat({ every: "days", days: 1, from: "due" }),
      { dueAt: local("2027-03-27T09:00"), dueHasTime: true },
      local("2027-03-27T09:00"),
      local("2027-03-27T09:00"),
    );
    expect(next.dueAt.toISOString()).toBe("2027-03-28T06:00:00.000Z");
    expect(show(next.dueAt)).toBe("2027-03-28 Sun 09:00");
  });

  it("completed late, a schedule skips the dates already past and keeps its calendar", () => {
    const next = nextOccurrence(
      repeat({ every: "week", weekdays: [1] }),
      { dueAt: local("2026-11-02T09:00"), dueHasTime: true },
      local("2026-11-18T15:00"),
      local("2026-11-18T15:00"),
    );
    expect(show(next.dueAt)).toBe("2026-11-23 Mon 09:00");
  });

  it("a whole-day occurrence of today is still owed when yesterday's is completed today", () => {
    const next = nextOccurrence(
      repeat({ every: "days", days: 1, from: "due" }),
      { dueAt: local("2026-11-27T00:00"), dueHasTime: false },
      local("2026-11-28T10:00"),
      local("2026-11-28T10:00"),
    );
    expect(next).toEqual({ dueAt: local("2026-11-28T00:00"), dueHasTime: false });
  });
});

describe("next occurrence as a routine (from completion)", () => {
  const weekAfterDone = repeat({ every: "days", days: 7, from: "done" });

  it("completed late, the next is 7 days after the completion, at the due time of day", () => {
    const next = nextOccurrence(
      weekAfterDone,
      { dueAt: local("2026-11-02T09:00"), dueHasTime: true },
      local("2026-11-05T21:40"),
      local("2026-11-05T21:40"),
    );
    expect(show(next.dueAt)).toBe("2026-11-12 Thu 09:00");
  });

  it("completed early, the next is 7 days after the completion too", () => {
    const next = nextOccurrence(
      weekAfterDone,
      { dueAt: local("2026-11-06T00:00"), dueHasTime: false },
      local("2026-11-03T08:00"),
      local("2026-11-03T08:00"),
    );
    expect(next).toEqual({ dueAt: local("2026-11-10T00:00"), dueHasTime: false });
  });
});

describe("first occurrence of a rule set without a due date", () => {
  const now = local("2026-11-28T10:00"); // a Saturday

  it("is the first day on the rule from today", () => {
    expect(show(firstOccurrence(repeat({ every: "week", weekdays: [1] }), now, null).dueAt)).toBe(
      "2026-11-30 Mon 00:00",
    );
    expect(show(firstOccurrence(repeat({ every: "weekday" }), now, null).dueAt)).toBe(
      "2026-11-30 Mon 00:00",
    );
    expect(firstOccurrence(repeat({ every: "days", days: 1, from: "due" }), now, null)).toEqual({
      dueAt: local("2026-11-28T00:00"),
      dueHasTime: false,
    });
  });

  it("moves a time already past today to the next day on the rule", () => {
    const daily = repeat({ every: "days", days: 1, from: "due" });
    expect(show(firstOccurrence(daily, now, { hour: 9, minute: 0 }).dueAt)).toBe(
      "2026-11-29 Sun 09:00",
    );
    expect(show(firstOccurrence(daily, now, { hour: 18, minute: 30 }).dueAt)).toBe(
      "2026-11-28 Sat 18:30",
    );
  });
});

describe("describing a rule", () => {
  it.each<[RepeatRule, string]>([
    [{ every: "days", days: 1, from: "due" }, "every day"],
    [{ every: "days", days: 7, from: "due" }, "every week"],
    [{ every: "days", days: 14, from: "due" }, "every 2 weeks"],
    [{ every: "days", days: 3, from: "due" }, "every 3 days"],
    [{ every: "days", days: 7, from: "done" }, "7 days after done"],
    [{ every: "days", days: 10, from: "done" }, "10 days after done"],
    [{ every: "weekday" }, "every weekday"],
    [{ every: "week", weekdays: [1] }, "every Monday"],
    [{ every: "week", weekdays: [4, 1] }, "every Monday and Thursday"],
    [{ every: "week", weekdays: [1, 3, 5] }, "every Mon, Wed and Fri"],
    [{ every: "month", day: 1 }, "monthly on the 1st"],
    [{ every: "month", day: 22 }, "monthly on the 22nd"],
    [{ every: "month", day: 31 }, "monthly on the 31st (or the month's last day)"],
  ])("%j reads “%s”", (rule, text) => {
    expect(describeRepeat(rule)).toBe(text);
  });
});

describe("reading a rule", () => {
  it.each<[string, RepeatRule]>([
    ["every day", { every: "days", days: 1, from: "due" }],
    ["daily", { every: "days", days: 1, from: "due" }],
    ["every week", { every: "days", days: 7, from: "due" }],
    ["every 2 weeks", { every: "days", days: 14, from: "due" }],
    ["every other day", { every: "days", days: 2, from: "due" }],
    ["Every 3 days after done", { every: "days", days: 3, from: "done" }],
    ["every 7 days from completion", { every: "days", days: 7, from: "done" }],
    ["weekdays", { every: "weekday" }],
    ["every monday", { every: "week", weekdays: [1] }],
    ["every Mon, Wed and Fri", { every: "week", weekdays: [1, 3, 5] }],
    ["on tuesdays and thursdays", { every: "week", weekdays: [2, 4] }],
    ["every mon, tue, wed, thu and fri", { every: "weekday" }],
    ["monthly", { every: "month", day: 17 }],
    ["monthly on the 31st", { every: "month", day: 31 }],
    ["every 15th", { every: "month", day: 15 }],
  ])("“%s”", (text, rule) => {
    expect(parseRepeat(text, 17)).toEqual({ ok: true, repeat: { rule, time: null } });
  });

  it("takes a time of day", () => {
    expect(parseRepeat("every monday at 9:30", 1)).toEqual({
      ok: true,
      repeat: { rule: { every: "week", weekdays: [1] }, time: { hour: 9, minute: 30 } },
    });
  });

  it.each([
    ["every blue moon", REPEAT_REASONS.unreadable],
    ["every 0 days", REPEAT_REASONS.unreadable],
    ["every 400 days", REPEAT_REASONS.tooOften],
    ["monthly on the 32nd", REPEAT_REASONS.noSuchDay],
    ["every monday after done", REPEAT_REASONS.afterDoneNeedsInterval],
    ["every day at 25:00", REPEAT_REASONS.noSuchTime],
  ])("refuses “%s” with a reason", (text, reason) => {
    expect(parseRepeat(text, 1)).toEqual({ ok: false, reason });
  });
});

describe("the work to find the next occurrence is bounded", () => {
  // A Thursday, 56 years after the first due date below (a Monday).
  const now = local("2026-12-03T12:00");
  const since1970 = { dueAt: local("1970-01-05T09:00"), dueHasTime: true };

  it.each<[RepeatRule, string]>([
    [{ every: "days", days: 1, from: "due" }, "2026-12-04 Fri 09:00"],
    [{ every: "days", days: 5, from: "due" }, "2026-12-07 Mon 09:00"],
    [{ every: "days", days: 366, from: "due" }, "2027-02-17 Wed 09:00"],
    [{ every: "weekday" }, "2026-12-04 Fri 09:00"],
    [{ every: "week", weekdays: [1, 4] }, "2026-12-07 Mon 09:00"],
    [{ every: "week", weekdays: [7] }, "2026-12-06 Sun 09:00"],
    [{ every: "month", day: 31 }, "2026-12-31 Thu 09:00"],
  ])("%j from a due date in 1970 takes a few steps and lands on %s", (rule, expected) => {
    const meter = { steps: 0 };
    const next = nextOccurrence(repeat(rule), since1970, now, now, meter);
    expect(show(next.dueAt)).toBe(expected);
    expect(meter.steps).toBeLessThanOrEqual(16);
  });

  it("takes as few steps for a due date in 1970 as for one last week", () => {
    const daily = repeat({ every: "days", days: 1, from: "due" });
    const steps = (dueAt: Date) => {
      const meter = { steps: 0 };
      nextOccurrence(daily, { dueAt, dueHasTime: false }, now, now, meter);
      return meter.steps;
    };
    expect(steps(local("1970-01-05T00:00"))).toBe(steps(local("2026-11-26T00:00")));
  });
});

/** The slow answer that is right by construction: each day after the due date in turn. */
function walkDayByDay(rule: RepeatRule, previous: Occurrence, now: Date): Occurrence {
  const due = DateTime.fromJSDate(previous.dueAt, { zone: ZONE });
  const first = due.startOf("day");
  for (let day = first.plus({ days: 1 }); ; day = day.plus({ days: 1 })) {
    const onRule =
      rule.every === "days"
        ? Math.round(day.diff(first, "days").days) % rule.days === 0
        : rule.every === "weekday"
          ? day.weekday <= 5
          : rule.every === "week"
            ? rule.weekdays.includes(day.weekday)
            : day.day === Math.min(rule.day, day.daysInMonth ?? 28);
    if (!onRule) continue;
    const at = previous.dueHasTime
      ? day.set({ hour: due.hour, minute: due.minute, second: 0, millisecond: 0 })
      : day;
    const over = previous.dueHasTime ? at : day.plus({ days: 1 });
    if (over.toMillis() > now.getTime()) {
      return { dueAt: at.toJSDate(), dueHasTime: previous.dueHasTime };
    }
  }
}

describe("the next occurrence is the first day on the rule not yet past", () => {
  const rules: RepeatRule[] = [
    { every: "days", days: 1, from: "due" },
    { every: "days", days: 3, from: "due" },
    { every: "days", days: 14, from: "due" },
    { every: "weekday" },
    { every: "week", weekdays: [2, 6] },
    { every: "month", day: 30 },
  ];
  // Around Kyiv's change to summer time (2027-03-28) and back (2027-10-31).
  const nows = ["2027-03-27T23:30", "2027-03-28T08:59", "2027-03-28T09:00", "2027-10-31T03:30"];
  const dueOffsetsInDays = [-400, -45, -8, -1, 0, 2];

  it("matches a day-by-day walk for schedules, whole days and timed, across DST", () => {
    for (const rule of rules) {
      for (const nowText of nows) {
        const now = local(nowText);
        for (const offset of dueOffsetsInDays) {
          for (const dueHasTime of [true, false]) {
            const day = DateTime.fromJSDate(now, { zone: ZONE }).startOf("day");
            const dueAt = (dueHasTime ? day.set({ hour: 9 }) : day).plus({ days: offset });
            const previous = { dueAt: dueAt.toJSDate(), dueHasTime };
            const label = `${JSON.stringify(rule)} due ${show(previous.dueAt)} now ${nowText}`;
            expect(show(nextOccurrence(repeat(rule), previous, now, now).dueAt), label).toBe(
              show(walkDayByDay(rule, previous, now).dueAt),
            );
          }
        }
      }
    }
  });
});
