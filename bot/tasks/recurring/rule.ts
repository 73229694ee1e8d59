import { DateTime } from "luxon";
import type { RepeatRule } from "../contract.ts";
import type { NextOccurrence, Repeat } from "../core/operation.ts";

/** Counts the candidate days a computation looked at, so tests can bound the work. */
export interface StepMeter {
  steps: number;
}

/** A due date: a whole day (00:00 in the rule's zone) or a time on a day. */
export type Occurrence = NextOccurrence;

/**
 * The due date of the occurrence after one completed at `doneAt`.
 *
 * A schedule keeps its calendar: the next date on the rule after the previous due date,
 * but never one already past (missed occurrences of an overdue routine are not owed). A
 * routine counts from completion: "7 days after done" is due 7 days after it was done,
 * however late that was. The time of day stays, across daylight-saving changes.
 *
 * The work is the same for a due date last week and one in 1970: the search starts at
 * yesterday (or the due date, if later), never walks the missed dates one by one.
 */
export function nextOccurrence(
  repeat: Repeat,
  previous: Occurrence,
  doneAt: Date,
  now: Date,
  meter: StepMeter = { steps: 0 },
): Occurrence {
  const { rule, zone } = repeat;
  const due = DateTime.fromJSDate(previous.dueAt, { zone });
  const at = (day: DateTime): Occurrence => ({
    dueAt: (previous.dueHasTime
      ? day.set({ hour: due.hour, minute: due.minute, second: 0, millisecond: 0 })
      : day
    ).toJSDate(),
    dueHasTime: previous.dueHasTime,
  });
  if (rule.every === "days" && rule.from === "done") {
    const doneDay = DateTime.fromJSDate(doneAt, { zone }).startOf("day");
    return at(doneDay.plus({ days: rule.days }));
  }
  const dueDay = due.startOf("day");
  const today = DateTime.fromJSDate(now, { zone }).startOf("day");
  // Every occurrence before today is past, and at most today's is: the first one owed is
  // one of the first two on the rule from today on.
  const yesterday = today.minus({ days: 1 });
  let day =
    rule.every === "days"
      ? firstIntervalDayFrom(dueDay, rule.days, today)
      : nextDay(rule, DateTime.max(dueDay, yesterday), meter);
  meter.steps++;
  if (isPast(at(day), now, zone)) {
    day = nextDay(rule, day, meter);
    meter.steps++;
  }
  return at(day);
}

/**
 * The first day from `from` on (and after `start`) that is a whole number of `interval`
 * days after `start`. Calendar days, so a 23- or 25-hour day counts as one.
 */
function firstIntervalDayFrom(start: DateTime, interval: number, from: DateTime): DateTime {
  const elapsed = Math.round(from.diff(start, "days").days);
  const intervals = Math.max(1, Math.ceil(elapsed / interval));
  return start.plus({ days: intervals * interval });
}

/**
 * The first due date of a rule set on a task without one: the first day on the rule from
 * today, at `time` when given (a time already past today moves to the next day).
 */
export function firstOccurrence(
  repeat: Repeat,
  now: Date,
  time: { hour: number; minute: number } | null,
): Occurrence {
  const { rule, zone } = repeat;
  const today = DateTime.fromJSDate(now, { zone }).startOf("day");
  const at = (day: DateTime): Occurrence => ({
    dueAt: (time ? day.set(time) : day).toJSDate(),
    dueHasTime: time !== null,
  });
  const day: DateTime = isOnRule(rule, today) ? today : nextDay(rule, today);
  // Only today's can be past; the next day on the rule is after today.
  return isPast(at(day), now, zone) ? at(nextDay(rule, day)) : at(day);
}

/** The day after `day` that the rule falls on. */
export function nextDay(
  rule: RepeatRule,
  day: DateTime,
  meter: StepMeter = { steps: 0 },
): DateTime {
  switch (rule.every) {
    case "days":
      return day.plus({ days: rule.days });
    case "weekday":
      return nextMatching(day, (d) => d.weekday <= 5, meter);
    case "week":
      return nextMatching(day, (d) => rule.weekdays.includes(d.weekday), meter);
    case "month": {
      const thisMonth = onMonthDay(day.startOf("month"), rule.day);
      return thisMonth > day
        ? thisMonth
        : onMonthDay(day.startOf("month").plus({ months: 1 }), rule.day);
    }
  }
}

function isOnRule(rule: RepeatRule, day: DateTime): boolean {
  switch (rule.every) {
    case "days":
      return true;
    case "weekday":
      return day.weekday <= 5;
    case "week":
      return rule.weekdays.includes(day.weekday);
    case "month":
      return onMonthDay(day.startOf("month"), rule.day).day === day.day;
  }
}

/** At most 7 steps: the predicates are sets of weekdays, and a rule names at least one. */
function nextMatching(
  day: DateTime,
  matches: (day: DateTime) => boolean,
  meter: StepMeter,
): DateTime {
  let next = day.plus({ days: 1 });
  for (let step = 1; step < 7 && !matches(next); step++) {
    meter.steps++;
    next = next.plus({ days: 1 });
  }
  return next;
}

/** The month's `day`, or its last day when it has fewer (the 31st in February is the 28th). */
function onMonthDay(monthStart: DateTime, day: number): DateTime {
  return monthStart.set({ day: Math.min(day, monthStart.daysInMonth ?? 28) });
}

/** A timed occurrence is past once its time is; a whole day only once the day is over. */
function isPast(occurrence: Occurrence, now: Date, zone: string): boolean {
  if (occurrence.dueHasTime) return occurrence.dueAt.getTime() <= now.getTime();
  const dayEnds = DateTime.fromJSDate(occurrence.dueAt, { zone }).plus({ days: 1 });
  return dayEnds.toMillis() <= now.getTime();
}
