import { DateTime } from "luxon";

/** Minutes after midnight of "22:00"; null for anything else. */
export function parseClockTime(text: string): number | null {
  const match = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(text.trim());
  if (!match) return null;
  return Number(match[1]) * 60 + Number(match[2]);
}

export function formatClockTime(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

/**
 * When quiet hours (in `timeZone`, possibly across midnight) that hold `now` end; null when
 * `now` is not in them. DST is the zone's business: 08:00 is 08:00 on either side of it.
 */
export function quietUntil(
  now: Date,
  timeZone: string,
  quiet: { start: number; end: number },
): Date | null {
  if (quiet.start === quiet.end) return null;
  const local = DateTime.fromJSDate(now, { zone: timeZone });
  const minute = local.hour * 60 + local.minute;
  const inside =
    quiet.start < quiet.end
      ? minute >= quiet.start && minute < quiet.end
      : minute >= quiet.start || minute < quiet.end;
  if (!inside) return null;
  let end = local.set({
    hour: Math.floor(quiet.end / 60),
    minute: quiet.end % 60,
    second: 0,
    millisecond: 0,
  });
  if (end <= local) end = end.plus({ days: 1 });
  return end.toJSDate();
}
