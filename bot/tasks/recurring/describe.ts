import type { RepeatRule } from "../contract.ts";

/**
 * How a rule reads in a sentence, for the bot's cards and the Mini App alike: this module
 * imports nothing but a type, so the Mini App can import it as it is.
 */

const WEEKDAY_NAMES = [
  "Monday",
  "Tuesday",
  "Wednesday",
  "Thursday",
  "Friday",
  "Saturday",
  "Sunday",
] as const;

/** The rule as the card states it: "every Monday", "7 days after done". */
export function describeRepeat(rule: RepeatRule): string {
  switch (rule.every) {
    case "days":
      // A routine is counted in days, as people keep it: "7 days after done".
      return rule.from === "done"
        ? `${rule.days === 1 ? "1 day" : `${rule.days} days`} after done`
        : `every ${every(rule.days)}`;
    case "weekday":
      return "every weekday";
    case "week":
      return `every ${listWeekdays(rule.weekdays)}`;
    case "month":
      return rule.day >= 29
        ? `monthly on the ${ordinal(rule.day)} (or the month's last day)`
        : `monthly on the ${ordinal(rule.day)}`;
  }
}

function every(days: number): string {
  if (days === 1) return "day";
  if (days === 7) return "week";
  return days % 7 === 0 ? `${days / 7} weeks` : `${days} days`;
}

function listWeekdays(weekdays: readonly number[]): string {
  const sorted = [...new Set(weekdays)].sort((a, b) => a - b);
  const names = sorted.map((day) => {
    const name = WEEKDAY_NAMES[day - 1] ?? "";
    return sorted.length > 2 ? name.slice(0, 3) : name;
  });
  if (names.length === 1) return names[0] ?? "";
  return `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

function ordinal(day: number): string {
  const tens = day % 100;
  if (tens >= 11 && tens <= 13) return `${day}th`;
  const suffix = { 1: "st", 2: "nd", 3: "rd" }[day % 10] ?? "th";
  return `${day}${suffix}`;
}
