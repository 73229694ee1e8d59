import { plural } from "#bot/lib/text";

/** What a group is told when its period changes: people have a right to know. */
export function announcePeriod(days: number, before: number): string {
  return [
    `🗂 Stored messages in this group are now deleted ${plural(days, "day")} after they were sent (until now: ${plural(before, "day")}).`,
    "Only messages of members who agreed to recording are stored (/consent). /privacy has the details.",
  ].join("\n");
}
