import type { Api } from "grammy";
import { InlineKeyboard } from "grammy";
import type { Sql } from "postgres";
import type { Clock } from "#bot/lib/clock";
import { describeError, type IdHasher, type Logger } from "#bot/lib/logger";
import type { Job } from "#bot/lib/schedule";
import { encodeTaskAction } from "#bot/tasks/callbacks";
import { renderCard } from "#bot/tasks/card";
import { snoozeButton } from "#bot/telegram/callback-data";
import type { Db } from "#db/client";
import { claimDueReminders, type DueReminder, remindAgainAt, settleReminder } from "#db/reminders";
import type { RetentionRules } from "#db/retention";
import { getTask } from "#db/tasks";
import type { Vault } from "#db/vault";
import { quietUntil } from "./quiet.ts";

/** A reminder this late (the service was down) is dropped: a reminder hours late misleads. */
export const LATE_AFTER_MS = 10 * 60 * 1000;
const BATCH = 100;

export interface DeliveryDeps {
  sql: Sql;
  clock: Clock;
  log: Logger;
  vault: Vault;
  hashId: IdHasher;
  retention: { rules: RetentionRules };
  api: Api;
}

export interface DeliveryCounts {
  sent: number;
  dropped: number;
  skipped: number;
  postponed: number;
}

export function reminderKeyboard(taskId: number, reminderId: number): InlineKeyboard {
  return new InlineKeyboard()
    .text("✓ Done", encodeTaskAction({ kind: "status", taskId, status: "done" }))
    .text("Snooze 1 h", snoozeButton.encode({ until: "hour", reminderId }))
    .text("Tomorrow", snoozeButton.encode({ until: "tomorrow", reminderId }));
}

/**
 * Sends every due reminder once. Each batch is claimed with FOR UPDATE SKIP LOCKED and
 * settled in the same transaction as its sending, so several instances never send one
 * twice. Completed tasks and people the bot may not write to send nothing; a reminder more
 * than 10 minutes late is dropped and counted; quiet hours move it to their end.
 */
export async function deliverDueReminders(deps: DeliveryDeps): Promise<DeliveryCounts> {
  const counts: DeliveryCounts = { sent: 0, dropped: 0, skipped: 0, postponed: 0 };
  for (;;) {
    const handled = await deps.sql.begin(async (tx) => {
      const now = deps.clock.now();
      const due = await claimDueReminders(tx, now, BATCH);
      // The batch's messages go out together (the throttle, when on, paces them); its
      // queries queue on the one transaction.
      const outcomes = await Promise.all(
        due.map((reminder) => deliverOne(deps, tx, reminder, now)),
      );
      for (const outcome of outcomes) counts[outcome]++;
      return due.length;
    });
    if (handled < BATCH) return counts;
  }
}

async function deliverOne(
  deps: DeliveryDeps,
  tx: Db,
  reminder: DueReminder,
  now: Date,
): Promise<keyof DeliveryCounts> {
  const settle = async (outcome: "sent" | "dropped" | "skipped") => {
    await settleReminder(tx, reminder.id, outcome, now);
    return outcome;
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
      await remindAgainAt(tx, reminder.id, until);
      return "postponed";
    }
  }
  const task = await getTask(tx, deps, reminder.taskId);
  if (!task) return settle("skipped");
  const card = renderCard(task, { now, timeZone: reminder.timezone, showTeam: true });
  try {
    await deps.api.sendMessage(reminder.recipientId, `⏰ <b>Reminder</b>\n\n${card.text}`, {
      parse_mode: "HTML",
      reply_markup: reminderKeyboard(task.id, reminder.id),
    });
  } catch (error) {
    deps.log.info(
      { user: deps.hashId(reminder.recipientId), err: describeError(error) },
      "reminder not delivered",
    );
    return settle("skipped");
  }
  return settle("sent");
}

export function reminderJob(deps: DeliveryDeps): Job {
  return {
    name: "reminders",
    intervalMs: 60_000,
    async run() {
      const counts = await deliverDueReminders(deps);
      if (counts.sent + counts.dropped + counts.skipped + counts.postponed > 0) {
        deps.log.info(counts, "reminders delivered");
      }
    },
  };
}
