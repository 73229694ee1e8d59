import { plural } from "#bot/lib/text";
import type { BotContext } from "#bot/telegram/context";
import { purgeNow } from "./core/purge.ts";
import type { RetentionOperation } from "./core/types.ts";

/** Progress edits of one message at most this often (Telegram limits edits). */
const PROGRESS_EVERY_MS = 2000;

/** What a purge removed, in words. */
export function describePurge(counts: Record<string, number>): string {
  const parts = [
    plural(counts.messages ?? 0, "expired message"),
    plural(counts.sourceLinks ?? 0, "task source link"),
    plural(counts.updateIds ?? 0, "old update id"),
    plural(counts.forms ?? 0, "abandoned form"),
    plural(counts.confirmations ?? 0, "expired confirmation"),
    plural(counts.auditEntries ?? 0, "old audit entry", "old audit entries"),
  ];
  return parts.join(", ");
}

/**
 * Answers the button at once, then (after the confirmation has committed) runs the purge,
 * editing the same message with its progress and, at the end, what it removed.
 */
export function runPurgeForAdmin(ctx: BotContext, op: RetentionOperation, expected: number): void {
  const { sql, clock, log, retention, hashId } = ctx.services;
  const { api } = ctx;
  const chatId = ctx.chat?.id;
  const messageId = ctx.callbackQuery?.message?.message_id;
  const queryId = ctx.callbackQuery?.id;
  if (chatId === undefined || messageId === undefined || queryId === undefined) return;
  const show = (text: string) => api.editMessageText(chatId, messageId, text).catch(() => {});
  ctx.afterCommit(async () => {
    await api.answerCallbackQuery(queryId, { text: "Purging…" });
    await show(`Purging… 0 of about ${expected.toLocaleString("en")} expired messages deleted.`);
    let shownAt = clock.now().getTime();
    const outcome = await purgeNow(
      op,
      { sql, clock, log, retention, hashId },
      {
        onProgress: async (deleted) => {
          const now = clock.now().getTime();
          if (now - shownAt < PROGRESS_EVERY_MS) return;
          shownAt = now;
          const of = Math.max(expected, deleted).toLocaleString("en");
          await show(
            `Purging… ${deleted.toLocaleString("en")} of about ${of} expired messages deleted.`,
          );
        },
      },
    );
    if (!outcome.ran) {
      await show(
        "Another purge is running right now, so nothing was done here. Try again in a minute.",
      );
      return;
    }
    await show(`Purge done. Removed ${describePurge({ ...outcome.counts })}.`);
  });
}
