import { notFound } from "#bot/lib/errors";
import type { Db } from "#db/client";
import { getTask, setTaskStatus, type TaskStatus, type TaskView } from "#db/tasks";
import { isMember } from "#db/teams";
import { belongsInChat, type ChatScope, canSeeTask, NO_SUCH_TASK } from "./rules.ts";

/** Loads a task the user may see from this chat, or throws "No such task." */
export async function findVisibleTask(
  db: Db,
  userId: number,
  taskId: number,
  chat: ChatScope,
): Promise<TaskView> {
  const task = await getTask(db, taskId);
  if (!task || !belongsInChat(task, chat)) throw notFound(NO_SUCH_TASK);
  const member = task.teamId !== null && (await isMember(db, task.teamId, userId));
  if (!canSeeTask(task, userId, member)) throw notFound(NO_SUCH_TASK);
  return task;
}

export interface StatusChange {
  task: TaskView;
  /** false when the task already had that status (a double tap): nobody is told twice. */
  changed: boolean;
}

export async function changeTaskStatus(
  db: Db,
  actorId: number,
  taskId: number,
  status: TaskStatus,
  chat: ChatScope,
  now: Date,
): Promise<StatusChange> {
  await findVisibleTask(db, actorId, taskId, chat);
  const changed = await setTaskStatus(db, taskId, status, now);
  const task = await getTask(db, taskId);
  if (!task) throw notFound(NO_SUCH_TASK);
  return { task, changed };
}
