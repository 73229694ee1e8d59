import type { User as TelegramUser } from "grammy/types";
import { escapeHtml } from "#bot/lib/html";
import { describeError } from "#bot/lib/logger";
import type { BotContext } from "#bot/telegram/context";
import type { TaskView } from "#db/tasks";
import { canMessage, getUsers } from "#db/users";
import { renderCard } from "./card.ts";

export type TaskEvent = "assigned" | "done" | "reopened";

const VERB: Record<TaskEvent, string> = {
  assigned: "assigned you a task",
  done: "completed a task",
  reopened: "reopened a task",
};

/** Who hears about a change: the people on the task, never the one who made it. */
export function recipientsOf(task: TaskView, event: TaskEvent, actorId: number): number[] {
  const people = event === "assigned" ? [task.assigneeId] : [task.creatorId, task.assigneeId];
  const ids = people.filter((id): id is number => id !== null && id !== actorId);
  return [...new Set(ids)];
}

/**
 * Tells the people concerned, in their private chats, once the change has committed.
 * Only users who started the bot and have not blocked it are written to; who they are is
 * read in the update's transaction, the sending waits for the commit.
 */
export async function notifyTaskEvent(
  ctx: BotContext,
  task: TaskView,
  event: TaskEvent,
  actor: TelegramUser,
): Promise<void> {
  const ids = recipientsOf(task, event, actor.id);
  if (ids.length === 0) return;
  const recipients = (await getUsers(ctx.db, ctx.app.vault, ids)).filter(canMessage);
  if (recipients.length === 0) return;
  const { clock, log, hashId } = ctx.app;
  ctx.afterCommit(async () => {
    for (const user of recipients) {
      const card = renderCard(task, { now: clock.now(), timeZone: user.timezone, showTeam: true });
      const text = `${escapeHtml(actor.first_name)} ${VERB[event]}:\n\n${card.text}`;
      await ctx.api
        .sendMessage(user.id, text, { parse_mode: "HTML", reply_markup: card.keyboard })
        .catch((error: unknown) => {
          log.info(
            { user: hashId(user.id), err: describeError(error) },
            "notification not delivered",
          );
        });
    }
  });
}
