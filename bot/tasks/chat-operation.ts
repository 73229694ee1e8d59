import type { User as TelegramUser } from "grammy/types";
import type { BotContext } from "#bot/telegram/context";
import type { TaskView } from "#db/tasks";
import type { Operation } from "./core.ts";
import { notifyTaskEvent, type TaskEvent } from "./notify.ts";

/**
 * The core's context for one update: its transaction, the time its cards show, the sender.
 * Effects wait in a list until `deliver` hands them to the update's after-commit queue, so
 * the chat's own reply (the card) goes out first, as it always has.
 */
export function chatOperation(ctx: BotContext, actor: TelegramUser, now: Date) {
  const queued: Array<{ task: TaskView; event: TaskEvent }> = [];
  const op: Operation = {
    db: ctx.db,
    now,
    actor: { userId: actor.id, isAdmin: ctx.services.adminIds.has(actor.id) },
    reader: ctx.services,
    effects: { taskEvent: (task, event) => queued.push({ task, event }) },
  };
  const deliver = async () => {
    for (const { task, event } of queued.splice(0)) {
      await notifyTaskEvent(ctx, task, event, actor);
    }
  };
  return { op, deliver };
}
