import { DateTime } from "luxon";
import type { Db } from "#db/client";
import { createNextOccurrence, type Repeat } from "#db/repeat";
import { getTask, type TaskReader, type TaskView, updateTask } from "#db/tasks";
import type { ParsedRepeat } from "../recurring/parse.ts";
import { firstOccurrence, nextOccurrence, type Occurrence } from "../recurring/rule.ts";

/** When the occurrence after `task` is due, were it completed at `doneAt`; null: it does not repeat. */
export function followingOccurrence(task: TaskView, doneAt: Date, now: Date): Occurrence | null {
  if (task.repeat === null || task.repeatZone === null || task.dueAt === null) return null;
  return nextOccurrence(
    { rule: task.repeat, zone: task.repeatZone },
    { dueAt: task.dueAt, dueHasTime: task.dueHasTime },
    doneAt,
    now,
  );
}

/**
 * After a repeating task was completed: its next occurrence, created once however often
 * the completion is repeated. Null for a task that does not repeat.
 */
export async function continueSeries(
  db: Db,
  reader: TaskReader,
  done: TaskView,
  now: Date,
): Promise<TaskView | null> {
  const next = followingOccurrence(done, done.doneAt ?? now, now);
  if (!next) return null;
  const id = await createNextOccurrence(db, reader.vault, done.id, next, now);
  return id === null ? null : getTask(db, reader, id);
}

/**
 * Skips this occurrence: the task moves to the next due date on its rule, as if done now,
 * and nothing is recorded as completed. Its reminders move with it.
 */
export async function moveToFollowingOccurrence(
  db: Db,
  reader: TaskReader,
  task: TaskView,
  now: Date,
): Promise<TaskView> {
  const next = followingOccurrence(task, now, now);
  if (!next) return task;
  await updateTask(db, task.id, { dueAt: next.dueAt, dueHasTime: next.dueHasTime }, now);
  return (await getTask(db, reader, task.id)) ?? task;
}

/**
 * The first due date and the stored rule for a task created with a rule: the due date the
 * writer gave (at the rule's time of day when it names one), or else the rule's first day.
 */
export function startSeries(
  parsed: ParsedRepeat,
  due: Occurrence | null,
  zone: string,
  now: Date,
): { repeat: Repeat; due: Occurrence } {
  const repeat = { rule: parsed.rule, zone };
  if (!due) return { repeat, due: firstOccurrence(repeat, now, parsed.time) };
  if (!parsed.time || due.dueHasTime) return { repeat, due };
  const day = DateTime.fromJSDate(due.dueAt, { zone }).startOf("day");
  return { repeat, due: { dueAt: day.set(parsed.time).toJSDate(), dueHasTime: true } };
}
