import { Composer } from "grammy";
import type { Message } from "grammy/types";
import type { BotContext } from "#bot/telegram/context";
import { privacyOp } from "./chat.ts";
import { recordMessage } from "./core/record.ts";
import { PRIVACY_POLICY_VERSION } from "./policy.ts";

/** The text worth keeping: a human's words, not a command to the bot or a service notice. */
export function recordableText(message: Message): string | undefined {
  const text = message.text ?? message.caption;
  if (!text || message.from?.is_bot) return undefined;
  const entities = message.entities ?? message.caption_entities ?? [];
  if (entities.some((e) => e.type === "bot_command" && e.offset === 0)) return undefined;
  return text;
}

/**
 * Keeps group messages of members who consent to the current notice. The database makes
 * the final decision in the same statement that stores (a withdrawal on any instance stops
 * recording at once); a member this process knows not to consent costs no query. Edits
 * always reach it, so an edit after a withdrawal removes the stored copy.
 */
export function recordMessages(): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer
    .chatType(["group", "supergroup"])
    .on(["message", "edited_message"], async (ctx, next) => {
      const message = ctx.editedMessage ?? ctx.message;
      const text = message && recordableText(message);
      const edited = ctx.editedMessage !== undefined;
      const mayConsent = ctx.viewer.consentVersion === PRIVACY_POLICY_VERSION;
      if (message?.from && text !== undefined && (mayConsent || edited)) {
        await recordMessage(privacyOp(ctx, message.from), ctx.services, {
          chatId: ctx.chat.id,
          messageId: message.message_id,
          teamId: ctx.chat.id,
          text,
          date: new Date(message.date * 1000),
          replyToMessageId: message.reply_to_message?.message_id ?? null,
          editedAt: message.edit_date ? new Date(message.edit_date * 1000) : null,
        });
      }
      await next();
    });
  return composer;
}
