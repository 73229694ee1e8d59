import { DateTime } from "luxon";
import { forbidden, invalid } from "#bot/lib/errors";
import type { Operation } from "#bot/lib/operation";
import type { Db } from "#db/client";
import {
  claimDueReminders,
  type DueReminder,
  remindAgainAt,
  reminderFor,
  settleReminder,
} from "#db/reminders";
import { getTask, type TaskReader, type TaskView } from "#db/tasks";
import { setQuietHours as storeQuietHours } from "#db/users";
import { quietUntil } from "./quiet.ts";

export type { DueReminder } from "#db/reminders";
/** When reminders fall due, and word when one is added or moved (for the delivery's timer). */
export { listenForMovedReminders, nextReminderDue } from "#db/reminders";

/** What a reminder operation needs of a unit: reminders leave nothing for after the commit. */
export type ReminderOperation = Pick<Operation<unknown>, "db" | "now" | "actor">;

/** A reminder this late (the service was down) is dropped: a reminder hours late misleads. */
export const LATE_AFTER_MS = 10 * 60 * 1000;
const HOUR = 60 * 60 * 1000;
const DAY_MINUTES = 24 * 60;

/** Quiet hours in minutes after midnight of the actor's zone; they may cross midnight. */
export interface QuietHours {
  start: number;
  end: number;
}

/** Sets the actor's quiet hours (null: none). Hours that start when they end are no hours. */
export async function setQuietHours(op: ReminderOperation, quiet: QuietHours | null) {
  if (quiet) {
    const minute = (value: number) => Number.isInteger(value) && value >= 0 && value < DAY_MINUTES;
    if (!minute(quiet.start) || !minute(quiet.end) || quiet.start === quiet.end) {
      throw invalid("Quiet hours need a start and a different end, like 22:00-08:00.");
    }
  }
  await storeQuietHours(op.db, op.actor.userId, quiet);
}

export interface Snoozed {
  taskId: number;
  /** When the reminder comes again. */
  at: Date;
  /** The recipient's zone, in which "tomorrow" was meant. */
  timeZone: string;
}

/**
 * Sets a delivered reminder off again in an hour or this time tomorrow (in the recipient's
 * zone). Only its recipient may move it: the assignee, or the creator of an unassigned task.
 */
export async function snoozeReminder(
  op: ReminderOperation,
  reminderId: number,
  until: "hour" | "tomorrow",
): Promise<Snoozed> {
  const reminder = await reminderFor(op.db, reminderId);
  if (!reminder || reminder.recipientId !== op.actor.userId) {
    throw forbidden("This reminder is no longer yours to move.");
  }
  const at =
    until === "hour"
      ? new Date(op.now.getTime() + HOUR)
      : DateTime.fromJSDate(op.now, { zone: reminder.timezone }).plus({ days: 1 }).toJSDate();
  await remindAgainAt(op.db, reminder.id, at);
  return { taskId: reminder.taskId, at, timeZone: reminder.timezone };
}

/** What becomes of a due reminder. */
export type ReminderDecision =
  | { kind: "send"; task: TaskView; recipientId: number }
  | { kind: "skipped" | "dropped" }
  | { kind: "postponed"; until: Date };

/** Locks up to `limit` due reminders for the delivery's transaction (see claimDueReminders). */
export function claimReminders(db: Db, now: Date, limit: number): Promise<DueReminder[]> {
  return claimDueReminders(db, now, limit);
}

/**
 * Decides a claimed reminder: a completed task or nobody to tell sends nothing; one more
 * than 10 minutes late is dropped; quiet hours move it to their end (stored here); else it
 * is to be sent with its task. Skipped and dropped ones are settled here.
 */
export async function decideReminder(
  db: Db,
  reader: TaskReader,
  reminder: DueReminder,
  now: Date,
): Promise<ReminderDecision> {
  const settle = async (kind: "skipped" | "dropped") => {
    await settleReminder(db, reminder.id, kind, now);
    return { kind };
  };
  if (reminder.taskStatus !== "open" || reminder.recipientId === null) return settle("skipped");
  if (now.getTime() - reminder.remindAt.getTime() > LATE_AFTER_MS) return settle("dropped");
  if (reminder.startedAt === null || reminder.blockedAt !== null) return settle("skipped");
  if (reminder.quietStart !== null && reminder.quietEnd !== null) {
    const until = quietUntil(now, reminder.timezone, {
      start: reminder.quietStart,
      end: reminder.quietEnd,
    });
    if (until) {
      await remindAgainAt(db, reminder.id, until);
      return { kind: "postponed", until };
    }
  }
  const task = await getTask(db, reader, reminder.taskId);
  if (!task) return settle("skipped");
  return { kind: "send", task, recipientId: reminder.recipientId };
}

/**
 * Records a reminder as sent: its message was queued to the outbox in the same transaction,
 * so it goes out exactly when this commits. A person who blocked the bot is learnt by the
 * outbox (their queue is dropped and they are marked), and their later reminders skipped.
 */
export async function settleQueued(db: Db, reminderId: number, now: Date): Promise<void> {
  await settleReminder(db, reminderId, "sent", now);
}
