import { Conflict, forbidden, notFound } from "#bot/lib/errors";
import { setReminderOffsets } from "#db/reminders";
import { setRepeat as storeRepeat } from "#db/repeat";
import {
  deleteTask,
  getTask,
  setCardMessage,
  setTaskStatus as storeStatus,
  type TaskChanges,
  type TaskPriority,
  type TaskStatus,
  type TaskView,
  updateTask,
} from "#db/tasks";
import { isMember } from "#db/teams";
import { timezoneOf } from "#db/users";
import { REMINDER_OFFSETS } from "../limits.ts";
import type { ParsedRepeat } from "../recurring/parse.ts";
import { InvalidField, type TaskOperation } from "./operation.ts";
import { resolveAssigneeId } from "./people.ts";
import {
  assigneeRefused,
  canRemind,
  checkDueNotLongPast,
  checkRemindable,
  isReminderOffset,
  moveRefusal,
  REMINDER_MENU,
} from "./rules.ts";
import { continueSeries, moveToFollowingOccurrence, startSeries } from "./series.ts";
import { type ChatScope, reread, visibleTask } from "./visibility.ts";

// Each rule of changing a task, written once; the operations below and changeTask (the
// API's PATCH, which may change several things at once) compose them.

/** A new due date: one more than a year back is refused; the date a task has stays editable. */
function checkDue(current: TaskView, dueAt: Date | null | undefined, now: Date): void {
  if (dueAt === undefined || dueAt?.getTime() === current.dueAt?.getTime()) return;
  checkDueNotLongPast(dueAt, now);
}

/** The team must be one the actor belongs to; the assignee one who may get the task there. */
async function checkPlacement(
  op: TaskOperation,
  teamId: number | null,
  assigneeId: number | null,
): Promise<void> {
  if (teamId !== null && !(await isMember(op.db, teamId, op.actor.userId))) {
    throw notFound("No such team.");
  }
  if (assigneeId === null) return;
  const assignee = await resolveAssigneeId(
    op.db,
    op.reader.vault,
    String(assigneeId),
    op.actor.userId,
    teamId,
  );
  if (!assignee.ok) throw assigneeRefused(teamId);
}

/** Who may move a task where (see moveRefusal); the placement in the target is checked too. */
async function checkMove(
  op: TaskOperation,
  task: TaskView,
  to: number | null,
  assigneeId: number | null,
): Promise<void> {
  const creatorInTarget =
    to !== null && task.creatorId !== null && (await isMember(op.db, to, task.creatorId));
  const refusal = moveRefusal(
    task,
    to,
    { id: op.actor.userId, isAdmin: op.actor.isAdmin },
    creatorInTarget,
  );
  if (refusal === "not_creator") {
    throw forbidden(
      "Only the task's creator or an admin may move it to another group or out of one.",
    );
  }
  await checkPlacement(op, to, assigneeId);
  if (refusal === "creator_not_in_team") {
    throw forbidden("The task's creator is not a member of that group.");
  }
}

/** A repeating task keeps a due date: its rule counts from it. */
function checkRepeatKeepsDue(dueAt: Date | null | undefined, repeats: boolean): void {
  if (dueAt === null && repeats) {
    throw new InvalidField(
      "dueAt",
      'A repeating task needs a due date; send "repeat": null too to stop it repeating.',
    );
  }
}

/** A completed occurrence keeps the rule it had; only an open one changes it. */
function checkRepeatChangeable(task: TaskView): void {
  if (task.status !== "open") {
    throw new Conflict(`#${task.id} is done. Reopen it to make it repeat.`, "task_done");
  }
}

/**
 * Sets or stops the rule of an open task. A change applies from the next occurrence: the
 * current due date stays (at the rule's time of day when it names one); a task without a
 * due date starts on the rule's first day. Days are meant in the actor's timezone.
 */
async function applyRepeat(
  op: TaskOperation,
  task: TaskView,
  repeat: ParsedRepeat | null,
): Promise<void> {
  if (repeat === null) {
    await storeRepeat(op.db, task.id, null, op.now);
    return;
  }
  const zone = await timezoneOf(op.db, op.actor.userId);
  const current = task.dueAt ? { dueAt: task.dueAt, dueHasTime: task.dueHasTime } : null;
  const series = startSeries(repeat, current, zone, op.now);
  if (
    series.due.dueAt.getTime() !== task.dueAt?.getTime() ||
    series.due.dueHasTime !== task.dueHasTime
  ) {
    await updateTask(op.db, task.id, series.due, op.now);
  }
  await storeRepeat(op.db, task.id, series.repeat, op.now);
}

/** After a status change: the next occurrence of a completed repeating task, and who hears. */
async function afterStatusChange(
  op: TaskOperation,
  updated: TaskView,
): Promise<{ task: TaskView; next: TaskView | null }> {
  const next =
    updated.status === "done" ? await continueSeries(op.db, op.reader, updated, op.now) : null;
  const task = next ? { ...updated, nextId: next.id } : updated;
  await op.effects.groupCardChanged(task, next);
  await op.effects.taskEvent(task, task.status === "done" ? "done" : "reopened", next);
  return { task, next };
}

export interface StatusChange {
  task: TaskView;
  /** false when the task already had that status (a double tap): nobody is told twice. */
  changed: boolean;
  /** The occurrence completing a repeating task created (or had created). */
  next: TaskView | null;
}

/**
 * Completes or reopens a task. Completing a repeating task continues its series; a double
 * tap changes nothing and tells nobody.
 */
export async function setTaskStatus(
  op: TaskOperation,
  taskId: number,
  status: TaskStatus,
  chat?: ChatScope,
): Promise<StatusChange> {
  const current = await visibleTask(op, taskId, chat);
  const updated = await storeStatus(op.db, op.reader, taskId, status, op.now);
  if (!updated) {
    const next = current.nextId === null ? null : await getTask(op.db, op.reader, current.nextId);
    return { task: current, changed: false, next };
  }
  return { ...(await afterStatusChange(op, updated)), changed: true };
}

export interface TaskEdit {
  title?: string;
  description?: string | null;
  assigneeId?: number | null;
  /** A due time from the API is always a moment (has a time of day); null clears it. */
  dueAt?: Date | null;
  priority?: TaskPriority;
}

/** Changes a task's own fields: who does it, when it is due, how it reads. */
export async function editTask(
  op: TaskOperation,
  taskId: number,
  edit: TaskEdit,
): Promise<TaskView> {
  return changeTask(op, taskId, edit);
}

/** Moves a task to team `teamId` (null: makes it private). See moveRefusal for who may. */
export async function moveTask(
  op: TaskOperation,
  taskId: number,
  teamId: number | null,
): Promise<TaskView> {
  return changeTask(op, taskId, { teamId });
}

/** Sets or stops the rule, taking the rule as read against the task's due day. */
export type RepeatChange = ParsedRepeat | null | ((dueDay: Date | null) => ParsedRepeat);

export interface RepeatSet {
  task: TaskView;
  /** The rule the task had before. */
  previous: TaskView["repeat"];
}

/** Makes an open task repeat, changes its rule, or stops it (null). */
export async function setRepeat(
  op: TaskOperation,
  taskId: number,
  change: RepeatChange,
  chat?: ChatScope,
): Promise<RepeatSet> {
  const task = await visibleTask(op, taskId, chat);
  checkRepeatChangeable(task);
  const repeat = typeof change === "function" ? change(task.dueAt) : change;
  await applyRepeat(op, task, repeat);
  return { task: await reread(op, taskId), previous: task.repeat };
}

/**
 * Skips this occurrence of an open repeating task: it moves to the next due date on its
 * rule, as if done now, and nothing is recorded as completed. Its reminders move with it.
 */
export async function skipOccurrence(
  op: TaskOperation,
  taskId: number,
  chat?: ChatScope,
): Promise<TaskView> {
  const task = await visibleTask(op, taskId, chat);
  if (task.status !== "open" || task.repeat === null) {
    throw new Conflict("Only an open repeating task can skip a date.", "not_repeating");
  }
  return moveToFollowingOccurrence(op.db, op.reader, task, op.now);
}

/** Makes a task's reminders exactly `offsets` (minutes before its due time). */
export async function setReminders(
  op: TaskOperation,
  taskId: number,
  offsets: readonly number[],
  chat?: ChatScope,
): Promise<TaskView> {
  const task = await visibleTask(op, taskId, chat);
  return writeReminders(op, task, offsets);
}

async function writeReminders(
  op: TaskOperation,
  task: TaskView,
  offsets: readonly number[],
): Promise<TaskView> {
  const known = [...new Set(offsets)].sort((a, b) => a - b);
  if (!known.every(isReminderOffset)) throw new InvalidField("reminders", REMINDER_MENU);
  checkRemindable(task, known);
  await setReminderOffsets(op.db, task.id, known, op.now);
  return { ...task, reminderOffsets: known };
}

export interface ReminderToggle {
  task: TaskView;
  offset: number;
  on: boolean;
}

/**
 * Turns one reminder of an open task with a due time on or off (the card's ⏰ buttons). A
 * stale button (the task was done, lost its time, or an unknown offset) changes nothing.
 */
export async function toggleReminder(
  op: TaskOperation,
  taskId: number,
  offset: number,
  chat?: ChatScope,
): Promise<ReminderToggle> {
  const task = await visibleTask(op, taskId, chat);
  const known = REMINDER_OFFSETS.find((minutes) => minutes === offset);
  if (known === undefined || !canRemind(task)) {
    throw new Conflict("This button no longer works.", "stale_button");
  }
  const current = new Set(task.reminderOffsets ?? []);
  const on = !current.has(known);
  if (on) current.add(known);
  else current.delete(known);
  return { task: await writeReminders(op, task, [...current]), offset: known, on };
}

/** Remembers the group message that shows a task (its card), to edit it on later changes. */
export async function rememberGroupCard(
  op: TaskOperation,
  task: Pick<TaskView, "id" | "teamId">,
  messageId: number,
): Promise<void> {
  if (task.teamId !== null) await setCardMessage(op.db, task.id, messageId);
}

/** Deletes a task: only its creator or an admin may. */
export async function removeTask(op: TaskOperation, taskId: number): Promise<void> {
  const task = await visibleTask(op, taskId);
  if (task.creatorId !== op.actor.userId && !op.actor.isAdmin) {
    throw forbidden("Only the task's creator or an admin may delete it.");
  }
  await deleteTask(op.db, taskId);
}

export interface TaskChangeSet extends TaskEdit {
  teamId?: number | null;
  status?: TaskStatus;
  reminders?: number[];
  repeat?: TaskView["repeat"];
}

/**
 * Several changes at once (the API's PATCH), each under the same rule as its own operation:
 * placement and moves, due dates, the rule of an open task, reminders needing a due time,
 * completing a repeating task continuing its series. Who is concerned hears once.
 */
export async function changeTask(
  op: TaskOperation,
  taskId: number,
  changes: TaskChangeSet,
): Promise<TaskView> {
  const current = await visibleTask(op, taskId);
  checkDue(current, changes.dueAt, op.now);
  const teamId = changes.teamId === undefined ? current.teamId : changes.teamId;
  const assigneeId = changes.assigneeId === undefined ? current.assigneeId : changes.assigneeId;
  const moved = teamId !== current.teamId;
  if (moved) await checkMove(op, current, teamId, assigneeId);
  else if (changes.assigneeId !== undefined) await checkPlacement(op, teamId, assigneeId);
  const { reminders: offsets, repeat: rule, status, ...fields } = changes;
  const repeats = rule === undefined ? current.repeat !== null : rule !== null;
  checkRepeatKeepsDue(changes.dueAt, repeats);
  // The rule changes while the task is open: before it is completed, after it is reopened.
  const reopens = status === "open" && current.status !== "open";
  if (rule !== undefined && !reopens) checkRepeatChangeable(current);

  const stored: TaskChanges = {
    ...fields,
    ...(changes.dueAt !== undefined ? { dueHasTime: changes.dueAt !== null } : {}),
    ...(reopens ? { status } : {}),
  };
  await updateTask(op.db, taskId, stored, op.now, op.reader.vault);
  let updated = await reread(op, taskId);
  if (rule !== undefined) {
    await applyRepeat(op, updated, rule === null ? null : { rule, time: null });
    updated = await reread(op, taskId);
  }
  if (offsets) updated = await writeReminders(op, updated, offsets);
  const completes = status === "done" && current.status !== "done";
  if (completes) {
    await updateTask(op.db, taskId, { status }, op.now);
    updated = await reread(op, taskId);
  }

  // The old group keeps no live card of a task it no longer has.
  if (moved) await op.effects.groupCardRetired(current);
  if (updated.assigneeId !== current.assigneeId) await op.effects.taskEvent(updated, "assigned");
  if (updated.status !== current.status) ({ task: updated } = await afterStatusChange(op, updated));
  // The group's card shows what it says now (a completion or reopening redrew it already).
  else if (!moved && cardShows(updated) !== cardShows(current)) {
    await op.effects.groupCardChanged(updated, null);
  }
  return updated;
}

/** What a group card shows of a task, to tell whether a change needs it redrawn. */
function cardShows(task: TaskView): string {
  const { title, priority, assigneeId, dueAt, dueHasTime, repeat } = task;
  return JSON.stringify([title, priority, assigneeId, dueAt, dueHasTime, repeat]);
}
