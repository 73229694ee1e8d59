import { InlineKeyboard } from "grammy";
import type { Sql } from "postgres";
import type { Clock } from "#bot/lib/clock";
import type { DueWork } from "#bot/lib/due-timer";
import { type JobMeter, metered } from "#bot/lib/job-meter";
import type { Logger } from "#bot/lib/logger";
import { type OutgoingCall, queueMessages } from "#bot/outbox/queue";
import { encodeTaskAction } from "#bot/tasks/callbacks";
import { renderCard } from "#bot/tasks/card";
import type { TaskReader } from "#bot/tasks/core/operation";
import { snoozeButton } from "#bot/telegram/callback-data";
import {
  claimReminders,
  type DueReminder,
  decideReminder,
  listenForMovedReminders,
  nextReminderDue,
  settleQueued,
} from "./core.ts";

export { LATE_AFTER_MS } from "./core.ts";

const BATCH = 100;

export interface DeliveryDeps extends TaskReader {
  sql: Sql;
  clock: Clock;
  log: Logger;
  /** Seals the reminders' texts in the outbox. */
  vault: Parameters<typeof queueMessages>[1];
}

export interface DeliveryCounts {
  /** Written to the outbox, to be sent once the claiming transaction commits. */
  queued: number;
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
 * Queues every due reminder once. Each batch is claimed with FOR UPDATE SKIP LOCKED, its
 * messages written to the outbox and the reminders settled in that one transaction, so
 * several instances never queue one twice and none is lost. Completed tasks and people the
 * bot may not write to get nothing; a reminder more than 10 minutes late is dropped and
 * counted; quiet hours move it to their end.
 */
export async function deliverDueReminders(deps: DeliveryDeps): Promise<DeliveryCounts> {
  const counts: DeliveryCounts = { queued: 0, dropped: 0, skipped: 0, postponed: 0 };
  for (;;) {
    const handled = await deps.sql.begin(async (tx) => {
      const now = deps.clock.now();
      const due = await claimReminders(tx, now, BATCH);
      // The batch's queries queue on the one transaction (pipelined).
      const outcomes = await Promise.all(due.map((reminder) => decideOne(deps, tx, reminder, now)));
      const messages: OutgoingCall[] = [];
      for (const outcome of outcomes) {
        if (typeof outcome === "string") counts[outcome]++;
        else messages.push(outcome);
      }
      counts.queued += messages.length;
      await queueMessages(tx, deps.vault, now, messages);
      return due.length;
    });
    if (handled < BATCH) return counts;
  }
}

/**
 * The message of a claimed reminder the core decided to send, the reminder settled as sent
 * (the caller queues the message in this transaction), or what became of it instead.
 */
async function decideOne(
  deps: DeliveryDeps,
  tx: Parameters<typeof decideReminder>[0],
  reminder: DueReminder,
  now: Date,
): Promise<OutgoingCall | Exclude<keyof DeliveryCounts, "queued">> {
  const decision = await decideReminder(tx, deps, reminder, now);
  if (decision.kind !== "send") return decision.kind;
  const { task, recipientId } = decision;
  const card = renderCard(task, {
    now,
    timeZone: reminder.timezone,
    showTeam: true,
    readersOwnTime: false,
  });
  await settleQueued(tx, reminder.id, now);
  return {
    chatId: recipientId,
    method: "sendMessage",
    text: `⏰ <b>Reminder</b>\n\n${card.text}`,
    params: { parse_mode: "HTML", reply_markup: reminderKeyboard(task.id, reminder.id) },
  };
}

/** Reminders for the due timer: run at the earliest pending one, woken when one is added or moved. */
export function reminderWork(deps: DeliveryDeps, meter?: JobMeter): DueWork {
  return {
    name: "reminders",
    async run() {
      const counts = await metered(
        meter,
        "reminders",
        () => deliverDueReminders(deps),
        (done) => ({ ...done }),
      );
      if (counts.queued + counts.dropped + counts.skipped + counts.postponed > 0) {
        deps.log.info(counts, "reminders delivered");
      }
    },
    nextDue: () => nextReminderDue(deps.sql),
    listen: (changed) => listenForMovedReminders(deps.sql, changed),
  };
}
