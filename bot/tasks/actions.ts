import { notFound } from "#bot/lib/errors";
import { continueSeries } from "#bot/tasks/recurring/series";
import type { Db } from "#db/client";
import {
  getTask,
  getTaskForViewer,
  setTaskStatus,
  type TaskReader,
  type TaskStatus,
  type TaskView,
} from "#db/tasks";
import { belongsInChat, type ChatScope, canSeeTask, NO_SUCH_TASK } from "./rules.ts";

/** Loads a task the user may see from this chat, or throws "No such task." */
export async function findVisibleTask(
  db: Db,
  reader: TaskReader,
  userId: number,
  taskId: number,
  chat: ChatScope,
): Promise<TaskView> {
  const found = await getTaskForViewer(db, reader, taskId, userId);
  if (!found || !belongsInChat(found.task, chat)) throw notFound(NO_SUCH_TASK);
  if (!canSeeTask(found.task, userId, found.viewerIsMember)) throw notFound(NO_SUCH_TASK);
  return found.task;
}

export interface StatusChange {
  task: TaskView;
  /** false when the task already had that status (a double tap): nobody is told twice. */
  changed: boolean;
  /** The occurrence completing a repeating task created. */
  next: TaskView | null;
}

export async function changeTaskStatus(
  db: Db,
  reader: TaskReader,
  actorId: number,
  taskId: number,
  status: TaskStatus,
  chat: ChatScope,
  now: Date,
): Promise<StatusChange> {
  const current = await findVisibleTask(db, reader, actorId, taskId, chat);
  const updated = await setTaskStatus(db, reader, taskId, status, now);
  if (!updated) {
    const next = current.nextId === null ? null : await getTask(db, reader, current.nextId);
    return { task: current, changed: false, next };
  }
  const next = status === "done" ? await continueSeries(db, reader, updated, now) : null;
  return { task: updated, changed: true, next };
}
