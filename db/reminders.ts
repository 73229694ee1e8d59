import type { Sql } from "postgres";
import type { Db } from "./client.ts";
import { listenTo } from "./listen.ts";

/** A reminder that is due, with what deciding about it needs. */
export interface DueReminder {
  id: number;
  remindAt: Date;
  taskId: number;
  taskStatus: "open" | "done";
  /** Who hears it: the assignee, or the creator of an unassigned task; null: nobody. */
  recipientId: number | null;
  timezone: string;
  startedAt: Date | null;
  blockedAt: Date | null;
  quietStart: number | null;
  quietEnd: number | null;
}

/**
 * Locks up to `limit` due reminders for this transaction. Rows another instance holds are
 * skipped, so two instances never take the same reminder.
 */
export async function claimDueReminders(db: Db, now: Date, limit: number): Promise<DueReminder[]> {
  return db<DueReminder[]>`
    select r.id, r.remind_at, t.id as task_id, t.status as task_status,
           coalesce(t.assignee_id, t.creator_id) as recipient_id,
           coalesce(u.timezone, 'UTC') as timezone, u.started_at, u.blocked_at,
           u.quiet_start, u.quiet_end
    from reminders r
    join tasks t on t.id = r.task_id
    left join users u on u.id = coalesce(t.assignee_id, t.creator_id)
    where r.state = 'pending' and r.remind_at <= ${now}
    order by r.remind_at, r.id
    limit ${limit}
    for update of r skip locked
  `;
}

/** When the earliest pending reminder is due (possibly past: due now); null when none waits. */
export async function nextReminderDue(db: Db): Promise<Date | null> {
  const [row] = await db<{ remindAt: Date | null }[]>`
    select min(remind_at) as remind_at from reminders where state = 'pending'
  `;
  return row?.remindAt ?? null;
}

/**
 * Calls `onMoved` whenever a committed change may bring a reminder earlier (migration 0012),
 * on any instance, and when the listening connection (re)connects (a notification may have
 * been missed meanwhile).
 */
export function listenForMovedReminders(
  sql: Sql,
  onMoved: () => void,
): Promise<() => Promise<void>> {
  return listenTo(sql, "reminders_due", onMoved);
}

export type ReminderOutcome = "sent" | "dropped" | "skipped";

export async function settleReminder(
  db: Db,
  id: number,
  outcome: ReminderOutcome,
  now: Date,
): Promise<void> {
  await db`update reminders set state = ${outcome}, done_at = ${now} where id = ${id}`;
}

/** Moves a pending reminder (quiet hours) or sets a sent one off again later (snooze). */
export async function remindAgainAt(db: Db, id: number, at: Date): Promise<void> {
  await db`update reminders set remind_at = ${at}, state = 'pending', done_at = null where id = ${id}`;
}

/** A reminder with the people it concerns, for its buttons. */
export async function reminderFor(
  db: Db,
  id: number,
): Promise<{ id: number; taskId: number; recipientId: number | null; timezone: string } | null> {
  const [row] = await db<
    { id: number; taskId: number; recipientId: number | null; timezone: string }[]
  >`
    select r.id, r.task_id, coalesce(t.assignee_id, t.creator_id) as recipient_id,
           coalesce(u.timezone, 'UTC') as timezone
    from reminders r join tasks t on t.id = r.task_id
    left join users u on u.id = coalesce(t.assignee_id, t.creator_id)
    where r.id = ${id}
  `;
  return row ?? null;
}

/**
 * Makes a task's reminders exactly `offsets` (minutes before its due time). New ones whose
 * time has already passed are recorded as skipped, not sent late.
 */
export async function setReminderOffsets(
  db: Db,
  taskId: number,
  offsets: readonly number[],
  now: Date,
): Promise<void> {
  await db`
    delete from reminders where task_id = ${taskId} and offset_minutes <> all(${[...offsets]}::int[])
  `;
  await db`
    insert into reminders (task_id, offset_minutes, remind_at, state)
    select t.id, o.offset_minutes, t.due_at - make_interval(mins => o.offset_minutes),
           case when t.due_at - make_interval(mins => o.offset_minutes) < ${now}
                then 'skipped' else 'pending' end
    from tasks t, unnest(${[...offsets]}::int[]) as o(offset_minutes)
    where t.id = ${taskId} and t.due_at is not null and t.due_has_time
    on conflict (task_id, offset_minutes) do nothing
  `;
}
