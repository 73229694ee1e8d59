import type { Api } from "grammy";
import { escapeHtml } from "#bot/lib/html";
import { describeError } from "#bot/lib/logger";
import type { Unit } from "#bot/lib/operation";
import type { Services } from "#bot/telegram/context";
import { renderCard } from "./card.ts";
import { type NoticeRecipient, noticeRecipients, timeZoneOf } from "./core/notices.ts";
import type { TaskEffects, TaskEvent, TaskView } from "./core/operation.ts";

const VERB: Record<TaskEvent, string> = {
  assigned: "assigned you a task",
  done: "completed a task",
  reopened: "reopened a task",
};

export interface TaskEffectsOptions {
  /** How the people told name the one who acted. */
  actorName: string;
  /** The zone the group's card is drawn in; read from the actor's settings when absent. */
  timeZone?: string;
  /** The card whose button was just tapped: the edge redraws it itself. */
  tappedCard?: { chatId: number; messageId: number };
}

type EffectServices = Pick<Services, "sql" | "clock" | "log" | "hashId" | "vault">;

/**
 * The task effects for one unit, the same for the bot and the API: the messages go out once
 * the unit has committed (after the chat's own reply), in the order the operation described
 * them.
 */
export function taskEffects(
  unit: Unit,
  api: Api,
  services: EffectServices,
  options: TaskEffectsOptions,
): TaskEffects {
  // Whom to tell and the card's zone are read once the unit has committed, from the pool:
  // the operation's transaction never waits on them, and a failed read (logged by the
  // unit) loses only its messages, never the change.

  const timeZone = () =>
    options.timeZone !== undefined
      ? Promise.resolve(options.timeZone)
      : timeZoneOf(services.sql, unit.actor.userId);

  return {
    taskEvent(task, event) {
      const actorId = unit.actor.userId;
      unit.afterCommit(async () => {
        const recipients = await noticeRecipients(
          services.sql,
          services.vault,
          task,
          event,
          actorId,
        );
        await sendTaskNotices(api, services, recipients, task, event, options.actorName);
      });
    },
    groupCardChanged(task, next) {
      if (task.teamId === null || task.cardMessageId === null) return;
      const tapped = options.tappedCard;
      if (tapped?.chatId === task.teamId && tapped.messageId === task.cardMessageId) return;
      unit.afterCommit(async () => refreshGroupCard(api, services, task, next, await timeZone()));
    },
    groupCardRetired(before) {
      if (before.teamId === null || before.cardMessageId === null) return;
      unit.afterCommit(() => retireGroupCard(api, services, before));
    },
  };
}

/** Sends each recipient the task's card in their private chat; a failure stops nobody else. */
async function sendTaskNotices(
  api: Api,
  services: Pick<Services, "clock" | "log" | "hashId">,
  recipients: readonly NoticeRecipient[],
  task: TaskView,
  event: TaskEvent,
  actorName: string,
): Promise<void> {
  for (const user of recipients) {
    const card = renderCard(task, {
      now: services.clock.now(),
      timeZone: user.timeZone,
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
async function refreshGroupCard(
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
async function retireGroupCard(
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
