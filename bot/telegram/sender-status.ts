import type { MiddlewareFn } from "grammy";
import type { BotContext } from "./context.ts";

/** The command a message starts with ("/digest@my_bot 09:00" → "digest"), or null. */
const commandOf = (text: string): string | null =>
  /^\/([a-z_]+)(?:@\w+)?(?:\s|$)/i.exec(text)?.[1]?.toLowerCase() ?? null;

/**
 * Asks Telegram for the sender's standing in the group (ctx.senderStatus) before the update's
 * transaction opens, for the commands whose rule depends on it (an admin-only setting): no
 * update waits on Telegram while it holds a transaction, a connection or an update slot. Only
 * those commands pay for the call; an unanswered one leaves the status unknown, which no rule
 * takes for an admin.
 */
export function askSenderStatusFirst(commands: ReadonlySet<string>): MiddlewareFn<BotContext> {
  return async (ctx, next) => {
    const { chat, from } = ctx;
    const text = ctx.message?.text;
    const inGroup = chat?.type === "group" || chat?.type === "supergroup";
    if (inGroup && from && text !== undefined && commands.has(commandOf(text) ?? "")) {
      ctx.senderStatus = await ctx.getChatMember(from.id).then(
        (member) => member.status,
        () => undefined,
      );
    }
    return next();
  };
}
