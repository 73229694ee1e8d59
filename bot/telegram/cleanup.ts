import type { Sql } from "postgres";
import type { Clock } from "#bot/lib/clock";
import type { Logger } from "#bot/lib/logger";
import type { Job } from "#bot/lib/schedule";
import { forgetConfirmationsBefore } from "#db/confirmations";
import { forgetConversationsBefore } from "#db/conversations";
import { forgetUpdatesBefore } from "#db/updates";

const HOUR = 60 * 60 * 1000;
/** Telegram retries a webhook delivery for up to a day; we remember ids twice as long. */
export const REMEMBER_UPDATES_MS = 48 * HOUR;
/** A form nobody touched for a week is abandoned. */
export const ABANDONED_CONVERSATION_MS = 7 * 24 * HOUR;

export async function forgetOldUpdateState(sql: Sql, clock: Clock) {
  const now = clock.now().getTime();
  const updates = await forgetUpdatesBefore(sql, new Date(now - REMEMBER_UPDATES_MS));
  const conversations = await forgetConversationsBefore(
    sql,
    new Date(now - ABANDONED_CONVERSATION_MS),
  );
  // Expired confirmation buttons can never be used; the row only says someone asked.
  const confirmations = await forgetConfirmationsBefore(sql, new Date(now));
  return { updates, conversations, confirmations };
}

export function updateStateCleanupJob(sql: Sql, clock: Clock, log: Logger): Job {
  return {
    name: "update-state-cleanup",
    intervalMs: HOUR,
    async run() {
      const removed = await forgetOldUpdateState(sql, clock);
      log.info(removed, "old update ids, abandoned forms and expired confirmations removed");
    },
  };
}
