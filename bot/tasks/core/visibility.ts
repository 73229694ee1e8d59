import { notFound } from "#bot/lib/errors";
import type { Db } from "#db/client";
import { getTask, getTaskForViewer, type TaskReader, type TaskView } from "#db/tasks";
import type { TaskOperation } from "./operation.ts";
import { belongsInChat, type ChatScope, canSeeTask, NO_SUCH_TASK } from "./rules.ts";

export type { ChatScope } from "./rules.ts";
export { canRemind, NO_SUCH_TASK } from "./rules.ts";

/** Where the task is looked at from; the API sees what a private chat sees. */
const EVERYWHERE: ChatScope = { kind: "private" };

/**
 * The one visibility rule: a task the actor may see (canSeeTask) and that belongs where it
 * is asked from (belongsInChat), or NotFound, the same answer as a missing id.
 */
export async function visibleTask(
  op: Pick<TaskOperation, "db" | "actor" | "reader">,
  taskId: number,
  chat: ChatScope = EVERYWHERE,
): Promise<TaskView> {
  const task = await visibleTo(op.db, op.reader, op.actor.userId, taskId, chat);
  if (!task) throw notFound(NO_SUCH_TASK);
  return task;
}

/** The task when `userId` may see it from `chat`; null otherwise. */
export async function visibleTo(
  db: Db,
  reader: TaskReader,
  userId: number,
  taskId: number,
  chat: ChatScope = EVERYWHERE,
): Promise<TaskView | null> {
  const found = await getTaskForViewer(db, reader, taskId, userId);
  if (!found || !belongsInChat(found.task, chat)) return null;
  return canSeeTask(found.task, userId, found.viewerIsMember) ? found.task : null;
}

/**
 * A task the operation already found visible, read again after changing it: an admin who
 * just made a task private no longer sees it, yet gets the answer to their change.
 */
export async function reread(op: Pick<TaskOperation, "db" | "reader">, taskId: number) {
  const task = await getTask(op.db, op.reader, taskId);
  if (!task) throw notFound(NO_SUCH_TASK);
  return task;
}
