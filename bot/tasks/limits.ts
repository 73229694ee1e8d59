/**
 * The bounds of a task that every side agrees on: the bot's parsers, the task core, the
 * API's schemas and the Mini App's form. This module imports nothing, so the Mini App can
 * take its constants without pulling in the service.
 */

/** A title's length in characters (code points). */
export const TITLE_MAX = 200;

/** A description's length in characters (code points). */
export const DESCRIPTION_MAX = 4000;

/** Reminder times a task may have: minutes before its due time (at it, 15 min, 1 h, 1 day). */
export const REMINDER_OFFSETS = [0, 15, 60, 1440] as const;

export type ReminderOffset = (typeof REMINDER_OFFSETS)[number];

export const PRIORITIES = ["low", "normal", "high"] as const;

export type Priority = (typeof PRIORITIES)[number];

export function isReminderOffset(minutes: number): minutes is ReminderOffset {
  return (REMINDER_OFFSETS as readonly number[]).includes(minutes);
}
