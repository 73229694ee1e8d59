import type { InlineKeyboard } from "grammy";
import type { BotContext } from "#bot/telegram/context";
import type { CardView, Rendered } from "./card.ts";
import type { ChatScope } from "./core/visibility.ts";

export function chatTitle(ctx: BotContext): string {
  const chat = ctx.chat;
  return (chat && "title" in chat ? chat.title : undefined) ?? "this group";
}

export function chatScope(ctx: BotContext): ChatScope | null {
  const chat = ctx.chat;
  if (chat?.type === "private") return { kind: "private" };
  if (chat?.type === "group" || chat?.type === "supergroup")
    return { kind: "team", teamId: chat.id };
  return null;
}

export function cardView(ctx: BotContext, scope: ChatScope): CardView {
  return {
    now: ctx.services.clock.now(),
    timeZone: ctx.viewer.timeZone,
    showTeam: scope.kind === "private",
    readersOwnTime: scope.kind === "team",
  };
}

export function replyOptions(ctx: BotContext, rendered: Rendered) {
  return {
    parse_mode: "HTML" as const,
    reply_markup: rendered.keyboard,
    link_preview_options: { is_disabled: true },
    ...(ctx.msgId
      ? { reply_parameters: { message_id: ctx.msgId, allow_sending_without_reply: true } }
      : {}),
  };
}

/** Edits the message a button sits on (through the outbox, where "not modified" is done). */
export async function editInPlace(
  ctx: BotContext,
  text: string,
  keyboard: InlineKeyboard,
): Promise<void> {
  await ctx.editMessageText(text, {
    parse_mode: "HTML",
    reply_markup: keyboard,
    link_preview_options: { is_disabled: true },
  });
}

/** The task a replied-to card of ours shows ("#12 …" or "✅ #12 …"), if any. */
export function repliedCardTaskId(ctx: BotContext): string | undefined {
  const replied = ctx.message?.reply_to_message;
  if (!replied || replied.from?.id !== ctx.me.id) return undefined;
  return /^(?:✅ )?#(\d{1,15}) /.exec(replied.text ?? "")?.[1];
}
