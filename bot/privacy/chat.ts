import { InlineKeyboard } from "grammy";
import { DateTime } from "luxon";
import type { BotContext } from "#bot/telegram/context";

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

export function formatDay(at: Date, timeZone: string): string {
  return DateTime.fromJSDate(at, { zone: timeZone }).toFormat("d LLL yyyy");
}

export function formatMoment(at: Date, timeZone: string): string {
  return DateTime.fromJSDate(at, { zone: timeZone }).toFormat("d LLL yyyy, HH:mm");
}

export function formatTime(at: Date, timeZone: string): string {
  return DateTime.fromJSDate(at, { zone: timeZone }).toFormat("HH:mm");
}
