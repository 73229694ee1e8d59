import type { Task } from "#db/tasks";

/**
 * Who may see (and so complete, reopen or edit) a task: for a team task, the team's
 * current members; for a private task, its creator and assignee. Anyone else is told
 * the task does not exist, so ids cannot be probed.
 */
export function canSeeTask(
  task: Pick<Task, "teamId" | "creatorId" | "assigneeId">,
  userId: number,
  isTeamMember: boolean,
): boolean {
  if (task.teamId !== null) return isTeamMember;
  return task.creatorId === userId || task.assigneeId === userId;
}

/**
 * What a chat may show: a group shows only its own team's tasks, so a private task (or
 * another team's) is never posted into a group; a private chat shows what its user sees.
 */
export function belongsInChat(task: Pick<Task, "teamId">, chat: ChatScope): boolean {
  return chat.kind === "private" || task.teamId === chat.teamId;
}

/**
 * Why a task may not go to team `to` (null: private), or null when it may. Only the creator
 * or an admin moves a task, so a member cannot take a team's task elsewhere or out of the
 * team (which would get round the creator-only delete), and an assignee cannot publish
 * someone's private task; and only into a team the creator belongs to, so the creator
 * never loses sight of their own task. Keeping the team it has is no move.
 */
export function moveRefusal(
  task: Pick<Task, "teamId" | "creatorId">,
  to: number | null,
  actor: { id: number; isAdmin: boolean },
  creatorIsMemberOfTarget: boolean,
): MoveRefusal | null {
  if (to === task.teamId) return null;
  if (actor.id !== task.creatorId && !actor.isAdmin) return "not_creator";
  if (to !== null && (task.creatorId === null || !creatorIsMemberOfTarget)) {
    return "creator_not_in_team";
  }
  return null;
}

export type MoveRefusal = "not_creator" | "creator_not_in_team";

export type ChatScope = { kind: "private" } | { kind: "team"; teamId: number };

export const NO_SUCH_TASK = "No such task.";

/** Reminders count back from a due time of day, and only an open task reminds. */
export function canRemind(task: Pick<Task, "status" | "dueAt" | "dueHasTime">): boolean {
  return task.status === "open" && task.dueAt !== null && task.dueHasTime;
}
