import type { RepeatRule } from "../contract.ts";

export interface ParsedRepeat {
  rule: RepeatRule;
  /** "every monday at 9:00": the time of day of each occurrence. */
  time: { hour: number; minute: number } | null;
}

export type RepeatResult = { ok: true; repeat: ParsedRepeat } | { ok: false; reason: string };

export const REPEAT_REASONS = {
  unreadable: `I couldn't read that rule. Try "every day", "every weekday", "every monday and thursday", "monthly on the 15th", "every 3 days" or "every 2 weeks after done".`,
  afterDoneNeedsInterval: `"After done" works with a number of days or weeks, like "every 3 days after done".`,
  tooOften: "Repeat at most every 366 days (or 52 weeks).",
  noSuchDay: "A month has days 1 to 31.",
  noSuchTime: "Times go from 00:00 to 23:59.",
} as const;

const WEEKDAYS: Record<string, number> = {
  mon: 1,
  monday: 1,
  tue: 2,
  tues: 2,
  tuesday: 2,
  wed: 3,
  wednesday: 3,
  thu: 4,
  thur: 4,
  thurs: 4,
  thursday: 4,
  fri: 5,
  friday: 5,
  sat: 6,
  saturday: 6,
  sun: 7,
  sunday: 7,
};

const AFTER_DONE =
  /\s+(?:after\s+(?:it\s+is\s+|it's\s+)?(?:done|completion|completing(?:\s+it)?)|from\s+(?:completion|done))$/;
const TIME = /\s+(?:at\s+)?(\d{1,2})[:.](\d{2})$/;
const MONTH_DAY = /^(?:every\s+month|monthly)\s+on\s+(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)?$/;
const NTH_OF_MONTH = /^every\s+(\d{1,2})(?:st|nd|rd|th)(?:\s+(?:day\s+)?of\s+the\s+month)?$/;
const EVERY_N = /^every\s+(\d{1,3}|other)\s+(day|week)s?$/;
const WEEKDAY_LIST = /^(?:every|on)\s+(.+)$/;

/**
 * Reads a repeat rule as people write it: "every day", "weekdays", "every monday and
 * thursday", "monthly on the 31st", "every 3 days after done", with an optional "at 9:00".
 * `dayOfMonth` is what "monthly" alone means: the due date's day.
 */
export function parseRepeat(text: string, dayOfMonth: number): RepeatResult {
  let phrase = ` ${text.trim().toLowerCase().replace(/\s+/g, " ")}`
    .replace(/^ (?:repeats?|recurring)\s+/, " ")
    .trimStart();
  let fromDone = false;
  let time: ParsedRepeat["time"] = null;
  for (let pass = 0; pass < 2; pass++) {
    const done = AFTER_DONE.exec(phrase);
    if (done) {
      fromDone = true;
      phrase = phrase.slice(0, done.index);
    }
    const clock = TIME.exec(phrase);
    if (clock && time === null) {
      const hour = Number(clock[1]);
      const minute = Number(clock[2]);
      if (hour > 23 || minute > 59) return { ok: false, reason: REPEAT_REASONS.noSuchTime };
      time = { hour, minute };
      phrase = phrase.slice(0, clock.index);
    }
  }
  const rule = readRule(phrase, dayOfMonth);
  if (typeof rule === "string") return { ok: false, reason: rule };
  if (!fromDone) return { ok: true, repeat: { rule, time } };
  if (rule.every !== "days") return { ok: false, reason: REPEAT_REASONS.afterDoneNeedsInterval };
  return { ok: true, repeat: { rule: { ...rule, from: "done" }, time } };
}

function readRule(phrase: string, dayOfMonth: number): RepeatRule | string {
  if (/^(?:every\s+day|daily|each\s+day)$/.test(phrase)) return days(1);
  if (/^(?:every\s+week|weekly|each\s+week)$/.test(phrase)) return days(7);
  if (/^(?:every\s+(?:weekday|working\s+day|work\s+day)|weekdays|on\s+weekdays)$/.test(phrase))
    return { every: "weekday" };
  if (/^(?:every\s+month|monthly|each\s+month)$/.test(phrase)) return monthly(dayOfMonth);

  const everyN = EVERY_N.exec(phrase);
  if (everyN) {
    const count = everyN[1] === "other" ? 2 : Number(everyN[1]);
    const total = everyN[2] === "week" ? count * 7 : count;
    if (count < 1) return REPEAT_REASONS.unreadable;
    return total > 366 ? REPEAT_REASONS.tooOften : days(total);
  }
  const monthDay = MONTH_DAY.exec(phrase) ?? NTH_OF_MONTH.exec(phrase);
  if (monthDay) return monthly(Number(monthDay[1]));

  const list = WEEKDAY_LIST.exec(phrase)?.[1];
  if (list === undefined) return REPEAT_REASONS.unreadable;
  const weekdays = new Set<number>();
  for (const word of list.split(/\s*(?:,|\band\b|&)\s*/)) {
    if (word === "") continue;
    const day = WEEKDAYS[word.replace(/s$/, "")] ?? WEEKDAYS[word];
    if (day === undefined) return REPEAT_REASONS.unreadable;
    weekdays.add(day);
  }
  if (weekdays.size === 0) return REPEAT_REASONS.unreadable;
  if (weekdays.size === 7) return days(1);
  if (weekdays.size === 5 && [1, 2, 3, 4, 5].every((day) => weekdays.has(day)))
    return { every: "weekday" };
  return { every: "week", weekdays: [...weekdays].sort((a, b) => a - b) };
}

function days(count: number): RepeatRule {
  return { every: "days", days: count, from: "due" };
}

function monthly(day: number): RepeatRule | string {
  return day >= 1 && day <= 31 ? { every: "month", day } : REPEAT_REASONS.noSuchDay;
}
