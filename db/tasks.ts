import type { Db } from "./client.ts";

export type TaskStatus = "open" | "done";
export type TaskPriority = "low" | "normal" | "high";

export interface Person {
  id: number;
  firstName: string;
  username: string | null;
}

export interface Task {
  id: number;
  teamId: number | null;
  title: string;
  description: string | null;
  status: TaskStatus;
  priority: TaskPriority;
  creatorId: number | null;
  assigneeId: number | null;
  dueAt: Date | null;
  dueHasTime: boolean;
  doneAt: Date | null;
  sourceChatId: number | null;
  sourceMessageId: number | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A task with what a card shows about the people on it. */
export interface TaskView extends Task {
  assignee: Person | null;
  teamTitle: string | null;
}

export interface NewTask {
  teamId: number | null;
  title: string;
  description: string | null;
  priority: TaskPriority;
  creatorId: number;
  assigneeId: number | null;
  dueAt: Date | null;
  dueHasTime: boolean;
  sourceChatId: number | null;
  sourceMessageId: number | null;
}

interface TaskViewRow extends Task {
  assigneeFirstName: string | null;
  assigneeUsername: string | null;
  teamTitle: string | null;
}

function toView(row: TaskViewRow): TaskView {
  const { assigneeFirstName, assigneeUsername, ...task } = row;
  return {
    ...task,
    assignee:
      task.assigneeId === null
        ? null
        : { id: task.assigneeId, firstName: assigneeFirstName ?? "", username: assigneeUsername },
  };
}

function selectViews(db: Db) {
  return db`
    select t.*, a.first_name as assignee_first_name, a.username as assignee_username,
           tm.title as team_title
    from tasks t
    left join users a on a.id = t.assignee_id
    left join teams tm on tm.id = t.team_id
  `;
}

export async function createTask(db: Db, task: NewTask, now: Date): Promise<TaskView> {
  const [row] = await db<{ id: number }[]>`
    insert into tasks ${db({ ...task, createdAt: now, updatedAt: now })}
    returning id
  `;
  if (!row) throw new Error("insert returned no row");
  const view = await getTask(db, row.id);
  if (!view) throw new Error("created task vanished");
  return view;
}

export async function getTask(db: Db, id: number): Promise<TaskView | null> {
  const [row] = await db<TaskViewRow[]>`${selectViews(db)} where t.id = ${id}`;
  return row ? toView(row) : null;
}

/** Sets the status; returns null when it already had it (so a double tap changes nothing). */
export async function setTaskStatus(
  db: Db,
  id: number,
  status: TaskStatus,
  now: Date,
): Promise<boolean> {
  const doneAt = status === "done" ? now : null;
  const rows = await db`
    update tasks set status = ${status}, done_at = ${doneAt}, updated_at = ${now}
    where id = ${id} and status <> ${status}
    returning id
  `;
  return rows.length > 0;
}

export type TaskScope = { kind: "team"; teamId: number } | { kind: "personal"; userId: number };

export interface TaskPage {
  tasks: TaskView[];
  total: number;
}

/**
 * One page of a chat's list. Open tasks: newest first. Done tasks: most recently
 * completed first. A personal list holds the tasks I created or am assigned to, but
 * only those of teams I still belong to.
 */
export async function listTasks(
  db: Db,
  scope: TaskScope,
  status: TaskStatus,
  page: { offset: number; limit: number },
): Promise<TaskPage> {
  const where =
    scope.kind === "team"
      ? db`t.team_id = ${scope.teamId} and t.status = ${status}`
      : db`(t.creator_id = ${scope.userId} or t.assignee_id = ${scope.userId})
           and t.status = ${status}
           and (t.team_id is null or exists (
             select 1 from team_members m where m.team_id = t.team_id and m.user_id = ${scope.userId}))`;
  const order = status === "done" ? db`t.done_at desc, t.id desc` : db`t.id desc`;
  const [rows, [count]] = await Promise.all([
    db<TaskViewRow[]>`
      ${selectViews(db)} where ${where} order by ${order}
      limit ${page.limit} offset ${page.offset}
    `,
    db<{ total: number }[]>`select count(*)::int as total from tasks t where ${where}`,
  ]);
  return { tasks: rows.map(toView), total: count?.total ?? 0 };
}
