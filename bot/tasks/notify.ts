import type { Api } from "grammy";
import type { User as TelegramUser } from "grammy/types";
import { escapeHtml } from "#bot/lib/html";
import { describeError } from "#bot/lib/logger";
import type { BotContext, Services } from "#bot/telegram/context";
import type { Db } from "#db/client";
import type { TaskView } from "#db/tasks";
import { canMessage, getUsers, type User } from "#db/users";
import type { Vault } from "#db/vault";
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

/** Whom to tell: the people concerned who started the bot and have not blocked it. */
export async function taskNoticeRecipients(
  db: Db,
  vault: Vault,
  task: TaskView,
  event: TaskEvent,
  actorId: number,
): Promise<User[]> {
  const ids = recipientsOf(task, event, actorId);
  if (ids.length === 0) return [];
  return (await getUsers(db, vault, ids)).filter(canMessage);
}

/** Sends each recipient the task's card in their private chat; a failure stops nobody else. */
export async function sendTaskNotices(
  api: Api,
  services: Pick<Services, "clock" | "log" | "hashId">,
  recipients: readonly User[],
  task: TaskView,
  event: TaskEvent,
  actorName: string,
): Promise<void> {
  for (const user of recipients) {
    const card = renderCard(task, {
      now: services.clock.now(),
      timeZone: user.timezone,
      showTeam: true,
    });
    const text = `${escapeHtml(actorName)} ${VERB[event]}:\n\n${card.text}`;
    await api
      .sendMessage(user.id, text, { parse_mode: "HTML", reply_markup: card.keyboard })
      .catch((error: unknown) => {
        services.log.info(
          { user: services.hashId(user.id), err: describeError(error) },
          "notification not delivered",
        );
      });
  }
}

/**
 * Edits the team chat's card of a task completed or reopened somewhere else (a reminder,
 * a private chat, the Mini App), so the group sees its state without a new message.
 */
export async function refreshGroupCard(
  api: Api,
  services: Pick<Services, "clock" | "log">,
  task: TaskView,
  next: TaskView | null,
  timeZone: string,
): Promise<void> {
  if (task.teamId === null || task.cardMessageId === null) return;
  const card = renderCard(task, { now: services.clock.now(), timeZone, showTeam: false }, next);
  await api
    .editMessageText(task.teamId, task.cardMessageId, card.text, {
      parse_mode: "HTML",
      reply_markup: card.keyboard,
      link_preview_options: { is_disabled: true },
    })
    .catch((error: unknown) => {
      services.log.info({ task: task.id, err: describeError(error) }, "group card not updated");
    });
}

/**
 * Closes the card a group still shows of a task moved to another group or made private:
 * its buttons would no longer work there, and the group should not think it still has it.
 */
export async function retireGroupCard(
  api: Api,
  services: Pick<Services, "log">,
  before: Pick<TaskView, "id" | "teamId" | "cardMessageId">,
): Promise<void> {
  if (before.teamId === null || before.cardMessageId === null) return;
  await api
    .editMessageText(
      before.teamId,
      before.cardMessageId,
      `#${before.id} was moved out of this group.`,
    )
    .catch((error: unknown) => {
      services.log.info({ task: before.id, err: describeError(error) }, "group card not retired");
    });
}

/**
 * Tells the people concerned, in their private chats, once the change has committed. Who
 * they are is read in the update's transaction, the sending waits for the commit. A
 * completion or reopening also updates the group's card, unless that card is the button
 * just tapped.
 */
export async function notifyTaskEvent(
  ctx: BotContext,
  task: TaskView,
  event: TaskEvent,
  actor: TelegramUser,
  next: TaskView | null = null,
): Promise<void> {
  const recipients = await taskNoticeRecipients(ctx.db, ctx.services.vault, task, event, actor.id);
  const { api } = ctx;
  const tappedCard =
    ctx.chat?.id === task.teamId && ctx.callbackQuery?.message?.message_id === task.cardMessageId;
  if (event !== "assigned" && !tappedCard) {
    const timeZone = ctx.viewer.timeZone;
    ctx.afterCommit(() => refreshGroupCard(api, ctx.services, task, next, timeZone));
  }
  if (recipients.length === 0) return;
  ctx.afterCommit(() =>
    sendTaskNotices(api, ctx.services, recipients, task, event, actor.first_name),
  );
}
