import type { User as TelegramUser } from "grammy/types";
import type { BotContext } from "#bot/telegram/context";
import { unitOf } from "#bot/telegram/unit";
import type { TaskOperation } from "./core/operation.ts";
import { taskEffects } from "./effects.ts";

/**
 * The update as a task operation: its transaction, time and sender, with the task effects
 * delivered after the commit, so the chat's own reply (the card) goes out first. A group
 * card whose button was just tapped is redrawn by the handler, not by the effects.
 */
export function chatOperation(
  ctx: BotContext,
  actor: Pick<TelegramUser, "id" | "first_name">,
  now = ctx.services.clock.now(),
): TaskOperation {
  const unit = unitOf(ctx, actor, now);
  const pressed = ctx.callbackQuery?.message;
  const chatId = ctx.chat?.id;
  return {
    db: unit.db,
    now: unit.now,
    actor: unit.actor,
    reader: ctx.services,
    effects: taskEffects(unit, ctx.services, {
      actorName: actor.first_name,
      timeZone: ctx.viewer.timeZone,
      ...(pressed && chatId !== undefined
        ? { tappedCard: { chatId, messageId: pressed.message_id } }
        : {}),
    }),
  };
}
