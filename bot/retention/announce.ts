import type { Api } from "grammy";
import { describeError, type Logger } from "#bot/lib/logger";
import { plural } from "#bot/lib/text";

/** What a group is told when its period changes: people have a right to know. */
export function announcePeriod(days: number, before: number): string {
  return [
    `🗂 Stored messages in this group are now deleted ${plural(days, "day")} after they were sent (until now: ${plural(before, "day")}).`,
    "Only messages of members who agreed to recording are stored (/consent). /privacy has the details.",
  ].join("\n");
}

/** One message to each group, in turn; a group that is gone does not stop the others. */
export async function tellGroups(
  api: Api,
  log: Logger,
  teamIds: readonly number[],
  text: string,
): Promise<void> {
  for (const teamId of teamIds) {
    await api.sendMessage(teamId, text).catch((error: unknown) => {
      log.warn(
        { teamId, err: describeError(error) },
        "could not tell a group its retention period",
      );
    });
  }
}
