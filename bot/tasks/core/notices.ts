import type { Db } from "#db/client";
import type { TaskView } from "#db/tasks";
import { canMessage, getUsers, timezoneOf } from "#db/users";
import type { Vault } from "#db/vault";
import type { TaskEvent } from "./operation.ts";

/** Someone a task notice goes to, with what rendering it for them needs. */
export interface NoticeRecipient {
  id: number;
  timeZone: string;
}

/** Who hears about a change: the people on the task, never the one who made it. */
export function recipientsOf(task: TaskView, event: TaskEvent, actorId: number): number[] {
  const people = event === "assigned" ? [task.assigneeId] : [task.creatorId, task.assigneeId];
  const ids = people.filter((id): id is number => id !== null && id !== actorId);
  return [...new Set(ids)];
}

/** Whom to tell: the people concerned who started the bot and have not blocked it. */
export async function noticeRecipients(
  db: Db,
  vault: Vault,
  task: TaskView,
  event: TaskEvent,
  actorId: number,
): Promise<NoticeRecipient[]> {
  const ids = recipientsOf(task, event, actorId);
  if (ids.length === 0) return [];
  return (await getUsers(db, vault, ids))
    .filter(canMessage)
    .map((user) => ({ id: user.id, timeZone: user.timezone }));
}

/** The timezone a person's cards are shown in. */
export function timeZoneOf(db: Db, userId: number): Promise<string> {
  return timezoneOf(db, userId);
}
