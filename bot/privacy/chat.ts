import { InlineKeyboard } from "grammy";
import type { BotContext } from "#bot/telegram/context";
import { unitOf } from "#bot/telegram/unit";
import type { PrivacyOperation } from "./core/types.ts";
import { privacyOperation } from "./effects.ts";

/** The update as a privacy operation by `person` (the sender unless said otherwise). */
export function privacyOp(
  ctx: BotContext,
  person: { id: number } = ctx.from ?? { id: 0 },
): PrivacyOperation {
  return privacyOperation(unitOf(ctx, person), ctx.services.people);
}

/** A link that opens the private chat with the bot and sends `/start <payload>`. */
export function startLink(ctx: BotContext, payload: string): string {
  return `https://t.me/${ctx.me.username}?start=${payload}`;
}

/**
 * The answer to a privacy command sent in a group: a pointer to the private chat, and
 * nothing about the person (the group must not learn what they asked for or hold).
 */
export async function redirectToPrivateChat(ctx: BotContext, payload: string): Promise<void> {
  await ctx.reply("That is between you and me: let's continue in our private chat.", {
    reply_markup: new InlineKeyboard().url("Open private chat", startLink(ctx, payload)),
    ...(ctx.msgId
      ? { reply_parameters: { message_id: ctx.msgId, allow_sending_without_reply: true } }
      : {}),
  });
}
