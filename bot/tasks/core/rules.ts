import type { Task } from "#db/tasks";
import { isLongPast } from "../due.ts";
import { REMINDER_OFFSETS } from "../limits.ts";
import { InvalidField } from "./operation.ts";

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

/**
 * Who may be given a task: in a team, a member; for a private task, the creator or someone
 * who shares a group with them. Worded as the API words field errors ("assigneeId: …").
 */
export function assigneeRefused(teamId: number | null): InvalidField {
  return new InvalidField(
    "assigneeId",
    teamId === null
      ? "not you or someone who shares a group with you."
      : "not a member of that group.",
  );
}

/** A due date more than a year back is a typo (or a test of the bot), not a plan. */
export function checkDueNotLongPast(dueAt: Date | null | undefined, now: Date): void {
  if (dueAt && isLongPast(dueAt, now)) {
    throw new InvalidField("dueAt", "That date is more than a year in the past.", "due_too_old");
  }
}

/** Reminders are chosen from the menu (minutes before the due time). */
export const REMINDER_MENU = `Reminders are ${REMINDER_OFFSETS.join(", ")} minutes before the due time.`;

export const isReminderOffset = (minutes: number): boolean =>
  (REMINDER_OFFSETS as readonly number[]).includes(minutes);

/** Reminders count back from a due time of day. */
export function checkRemindable(
  due: { dueAt: Date | null; dueHasTime: boolean },
  offsets: readonly number[],
): void {
  if (offsets.length > 0 && (due.dueAt === null || !due.dueHasTime)) {
    throw new InvalidField("reminders", "The task needs a due date and time to remind.");
  }
}
