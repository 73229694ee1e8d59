import { DateTime } from "luxon";

/** How the chat shows a date and a time, in the reader's zone. */

export function formatDay(at: Date, timeZone: string): string {
  return DateTime.fromJSDate(at, { zone: timeZone }).toFormat("d LLL yyyy");
}

export function formatMoment(at: Date, timeZone: string): string {
  return DateTime.fromJSDate(at, { zone: timeZone }).toFormat("d LLL yyyy, HH:mm");
}

export function formatTime(at: Date, timeZone: string): string {
  return DateTime.fromJSDate(at, { zone: timeZone }).toFormat("HH:mm");
}
