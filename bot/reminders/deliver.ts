import type { Api } from "grammy";
import { InlineKeyboard } from "grammy";
import type { Sql } from "postgres";
import type { Clock } from "#bot/lib/clock";
import { describeError, type IdHasher, type Logger } from "#bot/lib/logger";
import type { Job } from "#bot/lib/schedule";
import { encodeTaskAction } from "#bot/tasks/callbacks";
import { renderCard } from "#bot/tasks/card";
import type { TaskReader } from "#bot/tasks/core/operation";
import { snoozeButton } from "#bot/telegram/callback-data";
import { claimReminders, type DueReminder, decideReminder, settleSent } from "./core.ts";

export { LATE_AFTER_MS } from "./core.ts";

const BATCH = 100;

export interface DeliveryDeps extends TaskReader {
  sql: Sql;
  clock: Clock;
  log: Logger;
  hashId: IdHasher;
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
      const due = await claimReminders(tx, now, BATCH);
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

/** Sends one claimed reminder as the core decided, and records how it went. */
async function deliverOne(
  deps: DeliveryDeps,
  tx: Parameters<typeof decideReminder>[0],
  reminder: DueReminder,
  now: Date,
): Promise<keyof DeliveryCounts> {
  const decision = await decideReminder(tx, deps, reminder, now);
  if (decision.kind !== "send") return decision.kind;
  const { task, recipientId } = decision;
  const card = renderCard(task, { now, timeZone: reminder.timezone, showTeam: true });
  try {
    await deps.api.sendMessage(recipientId, `⏰ <b>Reminder</b>\n\n${card.text}`, {
      parse_mode: "HTML",
      reply_markup: reminderKeyboard(task.id, reminder.id),
    });
  } catch (error) {
    deps.log.info(
      { user: deps.hashId(recipientId), err: describeError(error) },
      "reminder not delivered",
    );
    await settleSent(tx, reminder.id, "skipped", now);
    return "skipped";
  }
  await settleSent(tx, reminder.id, "sent", now);
  return "sent";
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
