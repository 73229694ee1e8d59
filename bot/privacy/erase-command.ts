import { Composer } from "grammy";
import { escapeHtml } from "#bot/lib/html";
import { plural } from "#bot/lib/text";
import {
  CONFIRM_VALIDITY,
  ERASE,
  offerConfirmation,
  takeConfirmation,
} from "#bot/telegram/confirm";
import type { BotContext } from "#bot/telegram/context";
import { privacyOp, redirectToPrivateChat } from "./chat.ts";
import { erase, previewErasure } from "./core/erase.ts";

export async function offerErasure(ctx: BotContext, userId: number): Promise<void> {
  const preview = await previewErasure(privacyOp(ctx, { id: userId }));
  const buttons = await offerConfirmation(ctx.db, ERASE, {
    userId,
    payload: {},
    now: ctx.services.clock.now(),
    yes: "🗑 Delete everything",
  });
  const details = [
    "This deletes, for good:",
    `• ${plural(preview.messages, "stored message")} of yours`,
    `• ${plural(preview.privateTasks, "private task")} you created (or are the last one on)`,
    `• your membership in ${plural(preview.memberships, "group")} (as far as I know it)`,
    "• your consent history, any task form in progress, your daily digest, and your profile (name, username, language, timezone, quiet hours)",
    "",
    `Kept: ${plural(preview.teamTasksUnlinked, "team task")} you created or were assigned stay with their team, shown as made by or assigned to “deleted user”.`,
    ...(preview.tasksFromMessagesUnlinked > 0
      ? [
          `Also kept: ${plural(preview.tasksFromMessagesUnlinked, "task")} made from your messages stay with their team, with the words they copied, but no longer say who wrote them or link to your message.`,
        ]
      : []),
    "",
    `This cannot be undone. ${CONFIRM_VALIDITY} /export first if you want a copy.`,
  ].join("\n");
  await ctx.reply(`<b>Delete your data?</b>\n\n${escapeHtml(details)}`, {
    parse_mode: "HTML",
    reply_markup: buttons,
  });
}

/** /delete: explain, confirm with a one-time button, then erase in one transaction. */
export function eraseFeature(): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.chatType("private").command("delete", (ctx) => offerErasure(ctx, ctx.from.id));
  composer
    .chatType(["group", "supergroup"])
    .command("delete", (ctx) => redirectToPrivateChat(ctx, "delete"));

  composer.callbackQuery(ERASE.buttons.match, async (ctx) => {
    const confirmed = await takeConfirmation(ctx, ERASE);
    if (!confirmed) return;
    if (confirmed.answer === "no") {
      await ctx.editMessageText("Nothing was deleted.");
      return ctx.answerCallbackQuery();
    }
    // The core's effect forgets them after the commit, here and on every other instance.
    const counts = await erase(privacyOp(ctx), ctx.services);
    // Said through the outbox, written after the erasure emptied their queue: told only
    // once the erasure has committed, since a failed commit must not claim it happened.
    const messageId = ctx.callbackQuery.message?.message_id;
    const report = [
      "Done. Your data is deleted:",
      `• ${plural(counts.messages, "stored message")}`,
      `• ${plural(counts.privateTasks, "private task")}`,
      `• ${plural(counts.memberships, "group membership")}`,
      `• ${plural(counts.consents, "consent record")} and your profile`,
      `${plural(counts.teamTasksUnlinked, "team task")} no longer name you.`,
      ...(counts.tasksFromMessagesUnlinked > 0
        ? [
            `${plural(counts.tasksFromMessagesUnlinked, "task")} made from your messages no longer link to you.`,
          ]
        : []),
      "",
      "If you write to me again, we start from the beginning.",
    ].join("\n");
    await ctx.answerCallbackQuery({ text: "Your data is deleted." });
    if (messageId !== undefined) await ctx.editMessageText(report);
  });
  return composer;
}
