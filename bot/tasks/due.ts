import type { ParsedComponents } from "chrono-node";
// English only: the full package loads every locale and adds ~250 ms to start-up.
import * as chrono from "chrono-node/en";
import { DateTime } from "luxon";

/** hasTime=false: a whole day ("friday"); `at` is then 00:00 of that day in the user's zone. */
export interface Due {
  at: Date;
  hasTime: boolean;
}

export type DueResult = { ok: true; due: Due } | { ok: false; reason: string };

export const DUE_REASONS = {
  unreadable: `I couldn't read that date. Try "tomorrow", "friday", "in 3 days" or "2026-12-24 15:00".`,
  past: "That date is in the past.",
  tooFar: "That date is too far ahead.",
} as const;

const MAX_YEARS_AHEAD = 10;
// Overdue is fine (a task planned last spring and never done); a year and more back is a
// typo or a stale import, and nothing to plan by.
const MAX_YEARS_BEHIND = 1;

// People write "due friday" or "by friday"; the little word carries no date.
const LEAD_WORD = /^(?:due\s+(?:on\s+|by\s+)?|on\s+|by\s+)/;
const ISO_DATE = /^(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)/;
const CLOCK_TIME = /\d[:.]\d\d/;
const NUMERIC_DATE = /^(\d{1,2})[/.](\d{1,2})(?!\d)/;
const RELATIVE_TIME_PART =
  /\s*(?:,\s*|and\s+)?(?:(\d{1,4})\s*|(half\s+an?|an?)\s+)(minutes?|mins?|m|hours?|hrs?|h)\b/y;

interface CalendarDay {
  year: number;
  month: number;
  day: number;
}

type Reading = { at: DateTime; hasTime: boolean } | "unreadable" | "past";

export function parseDue(text: string, now: Date, timeZone: string): DueResult {
  const phrase = text.trim().toLowerCase().replace(/\s+/g, " ").replace(LEAD_WORD, "");
  const nowInZone = inZone(now, timeZone);
  const reading = readRelativeTime(phrase, nowInZone) ?? readWithChrono(phrase, nowInZone);

  if (reading === "unreadable") return { ok: false, reason: DUE_REASONS.unreadable };
  if (reading === "past" || isPast(reading, nowInZone)) {
    return { ok: false, reason: DUE_REASONS.past };
  }
  if (reading.at > nowInZone.plus({ years: MAX_YEARS_AHEAD })) {
    return { ok: false, reason: DUE_REASONS.tooFar };
  }
  return { ok: true, due: { at: reading.at.toJSDate(), hasTime: reading.hasTime } };
}

/** A due date given outright (the API, an import) that lies more than a year back. */
export function isLongPast(at: Date, now: Date): boolean {
  return at.getTime() < DateTime.fromJSDate(now).minus({ years: MAX_YEARS_BEHIND }).toMillis();
}

export function formatDue(due: Due, now: Date, timeZone: string): string {
  const at = inZone(due.at, timeZone).setLocale("en-US");
  const today = inZone(now, timeZone).startOf("day");
  const days = calendarDaysBetween(today, at);

  let day: string;
  if (days === 0) day = "today";
  else if (days === 1) day = "tomorrow";
  else if (days === -1) day = "yesterday";
  else if (days > 1 && days <= 6) day = at.toFormat("ccc");
  else if (at.year === today.year) day = at.toFormat("d LLL");
  else day = at.toFormat("d LLL yyyy");

  return due.hasTime ? `${day} ${at.toFormat("HH:mm")}` : day;
}

export function isOverdue(due: Due, now: Date, timeZone: string): boolean {
  if (due.hasTime) return due.at.getTime() < now.getTime();
  const dayEnds = inZone(due.at, timeZone).startOf("day").plus({ days: 1 });
  return now.getTime() >= dayEnds.toMillis();
}

function calendarDay(dateTime: DateTime): CalendarDay {
  return { year: dateTime.year, month: dateTime.month, day: dateTime.day };
}

function inZone(instant: Date, timeZone: string): DateTime {
  const dateTime = DateTime.fromJSDate(instant, { zone: timeZone });
  if (!dateTime.isValid) throw new RangeError(`Unknown time zone: ${timeZone}`);
  return dateTime;
}

// Rounded because a day across a DST change lasts 23 or 25 hours.
function calendarDaysBetween(today: DateTime, at: DateTime): number {
  return Math.round(at.startOf("day").diff(today, "days").days);
}

// A due time given to the minute is not "in the past" during that same minute.
function isPast(reading: { at: DateTime; hasTime: boolean }, nowInZone: DateTime): boolean {
  const limit = reading.hasTime ? nowInZone.startOf("minute") : nowInZone.startOf("day");
  return reading.at < limit;
}

// "in 3 hours" is elapsed time, not wall-clock time: across a DST change the clock
// reading moves by 2 or 4 hours. chrono only does wall-clock arithmetic in the machine's
// zone, so these are read here and added to the real instant.
function readRelativeTime(phrase: string, nowInZone: DateTime): Reading | null {
  if (!phrase.startsWith("in ")) return null;
  const rest = phrase.slice("in ".length);
  RELATIVE_TIME_PART.lastIndex = 0;
  let minutes = 0;
  while (RELATIVE_TIME_PART.lastIndex < rest.length) {
    const part = RELATIVE_TIME_PART.exec(rest);
    if (!part) return null;
    const [, digits, words = "", unit = ""] = part;
    const count = digits !== undefined ? Number(digits) : words.startsWith("half") ? 0.5 : 1;
    minutes += unit.startsWith("h") ? count * 60 : count;
  }
  return { at: nowInZone.startOf("minute").plus({ minutes }), hasTime: true };
}

function readWithChrono(phrase: string, nowInZone: DateTime): Reading {
  // chrono reads its reference in the machine's zone, so it gets a Date whose local
  // fields are the user's wall date. Midnight keeps chrono's own "already passed?"
  // checks out of it (they depend on the hour); the rules below decide instead.
  const today = nowInZone.startOf("day");
  const reference = new Date(today.year, today.month - 1, today.day);
  const results = chrono.casual.parse(phrase, reference, { forwardDate: true });
  const [result] = results;
  if (results.length !== 1 || !result) return "unreadable";
  // chrono leaves the "at" of "at noon" outside its match but keeps it in "at 17".
  const lead = phrase.slice(0, result.index);
  if ((lead !== "" && lead !== "at ") || result.index + result.text.length !== phrase.length) {
    return "unreadable";
  }
  if (result.end) return "unreadable";

  const start = result.start;
  const tags = start.tags();
  // Times counted from now belong to readRelativeTime: chrono's wall-clock arithmetic
  // would be an hour off across a DST change.
  if (tags.has("result/relativeDateAndTime") || tags.has("casualReference/now")) {
    return "unreadable";
  }
  if (!matchesWrittenNumbers(phrase, start, tags)) return "unreadable";

  const hasTime = start.isCertain("hour");
  if (hasTime && isAmbiguousHour(phrase, start, tags)) return "unreadable";
  const time = hasTime ? { hour: start.get("hour") ?? 0, minute: start.get("minute") ?? 0 } : {};
  const at = (day: CalendarDay): DateTime =>
    DateTime.fromObject({ ...day, ...time }, { zone: nowInZone.zone });
  const hasPassed = (candidate: DateTime): boolean =>
    hasTime && candidate < nowInZone.startOf("minute");
  const written: CalendarDay = {
    year: start.get("year") ?? Number.NaN,
    month: start.get("month") ?? Number.NaN,
    day: start.get("day") ?? Number.NaN,
  };

  if (start.isCertain("day") || tags.has("result/relativeDate")) {
    const candidate = at(written);
    return candidate.isValid ? { at: candidate, hasTime } : "unreadable";
  }

  if (start.isCertain("weekday")) {
    if (/\blast\b/.test(phrase)) return "past";
    if (/\bnext\b/.test(phrase)) return { at: at(written), hasTime };
    // Like Todoist: the nearest such day, today included; a time already gone today
    // means the same weekday next week.
    // chrono numbers Sunday 0, luxon 7.
    const daysAhead = ((start.get("weekday") ?? 0) - (today.weekday % 7) + 7) % 7;
    const candidate = at(calendarDay(today.plus({ days: daysAhead })));
    if (!hasPassed(candidate)) return { at: candidate, hasTime };
    return { at: at(calendarDay(today.plus({ days: daysAhead + 7 }))), hasTime };
  }

  if (hasTime) {
    const candidate = at(calendarDay(today));
    if (!hasPassed(candidate)) return { at: candidate, hasTime };
    return { at: at(calendarDay(today.plus({ days: 1 }))), hasTime };
  }

  // A month alone ("march") or a part of the day ("this evening") is too vague for a due.
  return "unreadable";
}

// chrono reads "at 5" as 05:00 where people often mean 17:00; a due twelve hours
// off is worse than asking again.
function isAmbiguousHour(phrase: string, start: ParsedComponents, tags: Set<string>): boolean {
  const hour = start.get("hour") ?? 0;
  if (hour < 1 || hour > 12 || start.isCertain("meridiem")) return false;
  return !CLOCK_TIME.test(phrase) && !tags.has("casualReference/noon");
}

// chrono repairs what people did not write: "2026-13-01" becomes 13 January, and
// "05/06" means 6 May to some users and 5 June to others.
function matchesWrittenNumbers(
  phrase: string,
  start: ParsedComponents,
  tags: Set<string>,
): boolean {
  const iso = ISO_DATE.exec(phrase);
  if (iso) {
    return (
      start.get("year") === Number(iso[1]) &&
      start.get("month") === Number(iso[2]) &&
      start.get("day") === Number(iso[3])
    );
  }
  const numeric = tags.has("parser/SlashDateFormatParser") ? NUMERIC_DATE.exec(phrase) : null;
  if (numeric) return Number(numeric[1]) > 12 || Number(numeric[2]) > 12;
  return true;
}
