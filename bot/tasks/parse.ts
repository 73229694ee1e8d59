import { DateTime } from "luxon";
import { codePointLength, takeCodePoints } from "#bot/lib/text";
import { DUE_REASONS, type Due, parseDue } from "#bot/tasks/due";
import { type ParsedRepeat, parseRepeat, REPEAT_REASONS } from "#bot/tasks/recurring/parse";

import { DESCRIPTION_MAX, PRIORITIES, type Priority, TITLE_MAX } from "./limits.ts";

// Counted in code points, like Postgres char_length, so a title that passes here fits
// the column whatever emoji it holds.
export { DESCRIPTION_MAX, PRIORITIES, type Priority, TITLE_MAX };

export interface OneLineTask {
  title: string;
  assigneeUsername?: string;
  due?: Due;
  priority?: Priority;
  /** "… every monday": how the task repeats, with a time of day when given. */
  repeat?: ParsedRepeat;
}

export type OneLineResult = { ok: true; task: OneLineTask } | { ok: false; reason: string };

export const TASK_REASONS = {
  noTitle: "The task needs a title.",
  titleTooLong: `The title is too long (at most ${TITLE_MAX} characters).`,
  descriptionTooLong: `The description is too long (at most ${DESCRIPTION_MAX} characters).`,
} as const;

const MENTION = /^@([a-z][a-z0-9_]{4,31})$/i;
const PRIORITY = /^!(low|normal|high)$/i;
// The longest due phrase we read is "due on next friday 17:30" or
// "in 2 hours and 30 minutes"; looking further back only costs chrono calls.
const DUE_MAX_WORDS = 6;
// Words that end ordinary titles ("Lie in the sun") far more often than they mean a weekday.
const AMBIGUOUS_DUE_WORDS = new Set(["sun", "sat", "wed"]);
const ELLIPSIS = "…";
// A cut at a word boundary reads better, but not at the price of losing a long last word.
const WORD_CUT_WINDOW = 40;

/** How a due phrase is read; tests pass a counting one to bound the work per line. */
export type ReadDue = typeof parseDue;

export function parseOneLineTask(
  text: string,
  now: Date,
  timeZone: string,
  readDue: ReadDue = parseDue,
): OneLineResult {
  let words = text.split(/\s+/).filter((word) => word !== "");
  const task: Omit<OneLineTask, "title"> = {};

  const mentionAt = words.findIndex((word) => MENTION.test(word));
  const mention = words[mentionAt];
  if (mention !== undefined) {
    task.assigneeUsername = mention.slice(1);
    words = words.filter((_, index) => index !== mentionAt);
  }

  // Several priority tokens: the last one wins, as if the writer corrected themselves.
  for (const word of words) {
    const named = PRIORITY.exec(word)?.[1]?.toLowerCase();
    const priority = PRIORITIES.find((candidate) => candidate === named);
    if (priority) task.priority = priority;
  }
  words = words.filter((word) => !PRIORITY.test(word));

  const trailingRepeat = takeTrailingRepeat(words, now, timeZone, readDue);
  if (!trailingRepeat.ok) return trailingRepeat;
  const { rest, due, repeat } = trailingRepeat;
  if (due) task.due = due;
  if (repeat) task.repeat = repeat;

  const title = validateTitle(rest.join(" "));
  if (!title.ok) return title;
  return { ok: true, task: { title: title.title, ...task } };
}

export function splitMessageIntoTask(text: string): { title: string; description: string | null } {
  const message = text.trim();
  const flat = message.replace(/\s+/g, " ");
  if (codePointLength(flat) <= TITLE_MAX) return { title: flat, description: null };

  const room = takeCodePoints(flat, TITLE_MAX - ELLIPSIS.length);
  return {
    title: `${cutAtWord(room, flat[room.length] === " ")}${ELLIPSIS}`,
    description: takeCodePoints(message, DESCRIPTION_MAX),
  };
}

export function validateTitle(
  text: string,
): { ok: true; title: string } | { ok: false; reason: string } {
  const title = text.trim().replace(/\s+/g, " ");
  if (title === "") return { ok: false, reason: TASK_REASONS.noTitle };
  if (codePointLength(title) > TITLE_MAX) return { ok: false, reason: TASK_REASONS.titleTooLong };
  return { ok: true, title };
}

export function validateDescription(
  text: string,
): { ok: true; description: string } | { ok: false; reason: string } {
  const description = text.trim();
  if (codePointLength(description) > DESCRIPTION_MAX) {
    return { ok: false, reason: TASK_REASONS.descriptionTooLong };
  }
  return { ok: true, description };
}

// Words that can start a repeat rule at the end of a line ("Standup notes every weekday").
const REPEAT_START = new Set(["every", "each", "daily", "weekly", "monthly", "weekdays"]);
// The longest rule we read, "every mon and tue and wed and thu and fri and sat at 9:00",
// is 14 words: a rule starting further back is title, and looking there costs time.
const REPEAT_MAX_WORDS = 16;

type TrailingRepeat =
  | { ok: true; rest: string[]; due?: Due; repeat?: ParsedRepeat }
  | { ok: false; reason: string };

/**
 * A repeat rule at the very end, then a due date before it ("Pay rent dec 1 monthly"). A
 * line whose "every …" is no rule ("Check every drawer") keeps it in the title. The rule is
 * read first (a few regular expressions), the date only for a rule that reads (up to
 * DUE_MAX_WORDS date-parser calls), so a line costs that many calls at most once.
 */
function takeTrailingRepeat(
  words: string[],
  now: Date,
  timeZone: string,
  readDue: ReadDue,
): TrailingRepeat {
  const earliest = Math.max(0, words.length - REPEAT_MAX_WORDS);
  for (let start = words.length - 1; start >= earliest; start--) {
    if (!REPEAT_START.has(words[start]?.toLowerCase() ?? "")) continue;
    const phrase = words.slice(start).join(" ");
    // "monthly" alone takes the due date's day, read below; any day reads alike here.
    const probe = parseRepeat(phrase, 1);
    if (!probe.ok && probe.reason === REPEAT_REASONS.unreadable) continue;
    const before = takeTrailingDue(words.slice(0, start), now, timeZone, readDue);
    // A date before a rule that cannot be a due is a mistake to report, as at the end.
    if (!before.ok) return before;
    const dayOfMonth = DateTime.fromJSDate(before.due?.at ?? now, { zone: timeZone }).day;
    const read = parseRepeat(phrase, dayOfMonth);
    return read.ok ? { ...before, repeat: read.repeat } : read;
  }
  return takeTrailingDue(words, now, timeZone, readDue);
}

type TrailingDue = { ok: true; rest: string[]; due?: Due } | { ok: false; reason: string };

// Only a date at the very end is taken: "Plan March release" must keep its title.
function takeTrailingDue(
  words: string[],
  now: Date,
  timeZone: string,
  readDue: ReadDue,
): TrailingDue {
  for (let count = Math.min(DUE_MAX_WORDS, words.length); count > 0; count--) {
    const phraseWords = words.slice(-count);
    if (count === 1 && AMBIGUOUS_DUE_WORDS.has(phraseWords.join("").toLowerCase())) continue;
    const result = readDue(phraseWords.join(" "), now, timeZone);
    const rest = words.slice(0, -count);
    if (result.ok) return { ok: true, rest, due: result.due };
    // A recognised date that cannot be a due is a mistake to report, not a title.
    if (result.reason !== DUE_REASONS.unreadable) return result;
  }
  return { ok: true, rest: words };
}

function cutAtWord(room: string, endsAtWord: boolean): string {
  if (endsAtWord) return room;
  const lastSpace = room.lastIndexOf(" ");
  if (lastSpace <= 0 || codePointLength(room.slice(lastSpace)) > WORD_CUT_WINDOW) return room;
  return room.slice(0, lastSpace);
}
