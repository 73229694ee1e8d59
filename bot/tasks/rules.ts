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

export type ChatScope = { kind: "private" } | { kind: "team"; teamId: number };

export const NO_SUCH_TASK = "No such task.";
