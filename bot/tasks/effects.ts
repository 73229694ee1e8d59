import { escapeHtml } from "#bot/lib/html";
import type { Unit } from "#bot/lib/operation";
import { type OutgoingCall, queueMessages } from "#bot/outbox/queue";
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

type EffectServices = Pick<Services, "vault">;

/**
 * The task effects for one unit, the same for the bot and the API: the messages are written
 * to the outbox in the unit's transaction, so they exist exactly when the change committed,
 * and go out after the commit, per chat in the order they were written.
 */
export function taskEffects(
  unit: Unit,
  services: EffectServices,
  options: TaskEffectsOptions,
): TaskEffects {
  const queue = (calls: OutgoingCall[]) => queueMessages(unit.db, services.vault, unit.now, calls);
  const timeZone = () =>
    options.timeZone !== undefined
      ? Promise.resolve(options.timeZone)
      : timeZoneOf(unit.db, unit.actor.userId);

  return {
    async taskEvent(task, event) {
      const recipients = await noticeRecipients(
        unit.db,
        services.vault,
        task,
        event,
        unit.actor.userId,
      );
      await queue(taskNotices(recipients, task, event, options.actorName, unit.now));
    },
    async groupCardChanged(task, next) {
      const { teamId, cardMessageId } = task;
      if (teamId === null || cardMessageId === null) return;
      const tapped = options.tappedCard;
      if (tapped?.chatId === teamId && tapped.messageId === cardMessageId) return;
      const card = { ...task, teamId, cardMessageId };
      await queue([groupCardRefresh(card, next, await timeZone(), unit.now)]);
    },
    async groupCardRetired(before) {
      if (before.teamId === null || before.cardMessageId === null) return;
      await queue([groupCardRetirement(before.teamId, before.cardMessageId, before.id)]);
    },
  };
}

/** Each recipient gets the task's card in their private chat, drawn in their zone. */
function taskNotices(
  recipients: readonly NoticeRecipient[],
  task: TaskView,
  event: TaskEvent,
  actorName: string,
  now: Date,
): OutgoingCall[] {
  return recipients.map((user) => {
    const card = renderCard(task, {
      now,
      timeZone: user.timeZone,
      showTeam: true,
      readersOwnTime: false,
    });
    return {
      chatId: user.id,
      method: "sendMessage",
      text: `${escapeHtml(actorName)} ${VERB[event]}:\n\n${card.text}`,
      params: { parse_mode: "HTML", reply_markup: card.keyboard },
    };
  });
}

/**
 * Edits the team chat's card of a task completed or reopened somewhere else (a reminder,
 * a private chat, the Mini App), so the group sees its state without a new message.
 */
function groupCardRefresh(
  task: TaskView & { teamId: number; cardMessageId: number },
  next: TaskView | null,
  timeZone: string,
  now: Date,
): OutgoingCall {
  const card = renderCard(task, { now, timeZone, showTeam: false, readersOwnTime: true }, next);
  return {
    chatId: task.teamId,
    method: "editMessageText",
    text: card.text,
    params: {
      message_id: task.cardMessageId,
      parse_mode: "HTML",
      reply_markup: card.keyboard,
      link_preview_options: { is_disabled: true },
    },
  };
}

/**
 * Closes the card a group still shows of a task moved to another group or made private:
 * its buttons would no longer work there, and the group should not think it still has it.
 */
function groupCardRetirement(teamId: number, cardMessageId: number, taskId: number): OutgoingCall {
  return {
    chatId: teamId,
    method: "editMessageText",
    text: `#${taskId} was moved out of this group.`,
    params: { message_id: cardMessageId },
  };
}
