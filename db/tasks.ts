import type { Db } from "./client.ts";
import type { Repeat, RepeatRule } from "./repeat.ts";
import { type RetentionRules, teamDaysSql } from "./retention.ts";
import { openTaskTexts, type SealedTextRow, sealTaskText } from "./task-texts.ts";
import { openName } from "./users.ts";
import type { Vault } from "./vault.ts";

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
  /** The creator or assignee erased their data: show a deleted user, not nobody. */
  creatorErased: boolean;
  assigneeErased: boolean;
  dueAt: Date | null;
  dueHasTime: boolean;
  doneAt: Date | null;
  sourceChatId: number | null;
  sourceMessageId: number | null;
  /** When the source message was sent; kept after the link expires, to say so. */
  sourceDate: Date | null;
  /** Who wrote the message the task was made from; cleared by that person's erasure. */
  sourceAuthorId: number | null;
  /** Minutes before the due time at which the task reminds; read with views and records. */
  reminderOffsets?: number[];
  /** How the task repeats, in `repeatZone`; null: it does not. */
  repeat: RepeatRule | null;
  repeatZone: string | null;
  /** The series' first occurrence, for every occurrence of a repeating task. */
  seriesId: number | null;
  /** The occurrence completing this one created. */
  nextId: number | null;
  /** The team chat's message showing this task. */
  cardMessageId: number | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A task with what a card shows about the people on it. */
export interface TaskView extends Task {
  assignee: Person | null;
  teamTitle: string | null;
  /** When the source message passes its team's retention period. */
  sourceExpiresAt: Date | null;
}

/** What reading task views needs: names are sealed, source links expire. */
export interface TaskReader {
  vault: Vault;
  retention: { rules: RetentionRules };
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
  sourceDate: Date | null;
  /** Who wrote the source message, when the task copies one. */
  sourceAuthorId?: number | null;
  repeat?: Repeat | null;
}

type TaskViewRow = SealedTextRow<
  Task & {
    assigneeFirstName: Buffer | null;
    assigneeUsername: Buffer | null;
    teamTitle: string | null;
    sourceExpiresAt: Date | null;
  }
>;

function toView(vault: Vault, row: TaskViewRow): TaskView {
  const { assigneeFirstName, assigneeUsername, ...task } = openTaskTexts(vault, row);
  const id = task.assigneeId;
  return {
    ...task,
    assignee:
      id === null
        ? null
        : {
            id,
            firstName: openName(vault, id, "first_name", assigneeFirstName) ?? "",
            username: openName(vault, id, "username", assigneeUsername),
          },
  };
}

function reminderOffsetsSql(db: Db) {
  return db`array(select r.offset_minutes from reminders r where r.task_id = t.id
                  order by r.offset_minutes) as reminder_offsets`;
}

/** Columns of a view of the task row `t`, with `viewJoins`. */
function viewColumns(db: Db, rules: RetentionRules) {
  return db`
    t.*, a.first_name as assignee_first_name, a.username as assignee_username,
    tm.title as team_title,
    t.source_date + make_interval(days => ${teamDaysSql(db, rules, db`tm.retention_days`)})
      as source_expires_at,
    ${reminderOffsetsSql(db)}
  `;
}

function viewJoins(db: Db) {
  return db`
    left join users a on a.id = t.assignee_id
    left join teams tm on tm.id = t.team_id
  `;
}

function selectViews(db: Db, rules: RetentionRules, extra = db``) {
  return db`select ${viewColumns(db, rules)} ${extra} from tasks t ${viewJoins(db)}`;
}

export async function getTask(db: Db, reader: TaskReader, id: number): Promise<TaskView | null> {
  const [row] = await db<TaskViewRow[]>`
    ${selectViews(db, reader.retention.rules)} where t.id = ${id}
  `;
  return row ? toView(reader.vault, row) : null;
}

/** A task with whether the viewer is a member of its team, in one round trip. */
export async function getTaskForViewer(
  db: Db,
  reader: TaskReader,
  id: number,
  viewerId: number,
): Promise<{ task: TaskView; viewerIsMember: boolean } | null> {
  const [row] = await db<(TaskViewRow & { viewerIsMember: boolean })[]>`
    ${selectViews(
      db,
      reader.retention.rules,
      db`, exists (select 1 from team_members m
                   where m.team_id = t.team_id and m.user_id = ${viewerId}) as viewer_is_member`,
    )}
    where t.id = ${id}
  `;
  if (!row) return null;
  const { viewerIsMember, ...task } = row;
  return { task: toView(reader.vault, task), viewerIsMember };
}

/**
 * Sets the status and returns the updated task, or null when it already had that status
 * (so a double tap changes nothing and tells nobody twice).
 */
export async function setTaskStatus(
  db: Db,
  reader: TaskReader,
  id: number,
  status: TaskStatus,
  now: Date,
): Promise<TaskView | null> {
  const doneAt = status === "done" ? now : null;
  const [row] = await db<TaskViewRow[]>`
    with t as (
      update tasks set status = ${status}, done_at = ${doneAt}, updated_at = ${now}
      where id = ${id} and status <> ${status}
      returning *
    )
    select ${viewColumns(db, reader.retention.rules)} from t ${viewJoins(db)}
  `;
  return row ? toView(reader.vault, row) : null;
}

export type TaskScope = { kind: "team"; teamId: number } | { kind: "personal"; userId: number };

export interface TaskPage {
  tasks: TaskView[];
  total: number;
}

/**
 * One page of a chat's list, with the total in the same query. Open tasks: newest first.
 * Done tasks: most recently completed first. A personal list holds the tasks I created or
 * am assigned to, but only those of teams I still belong to.
 */
export async function listTasks(
  db: Db,
  reader: TaskReader,
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
  const rows = await db<(TaskViewRow & { total: number })[]>`
    ${selectViews(db, reader.retention.rules, db`, count(*) over ()::int as total`)}
    where ${where} order by ${order}
    limit ${page.limit} offset ${page.offset}
  `;
  if (rows.length > 0 || page.offset === 0) {
    return {
      tasks: rows.map(({ total: _, ...row }) => toView(reader.vault, row)),
      total: rows[0]?.total ?? 0,
    };
  }
  // Past the end (tasks moved off the last page): only the total is needed.
  const [count] = await db<
    { total: number }[]
  >`select count(*)::int as total from tasks t where ${where}`;
  return { tasks: [], total: count?.total ?? 0 };
}

export interface TaskQuery {
  viewerId: number;
  /** A team's tasks (the caller checks membership); absent: my private tasks and those assigned to me. */
  teamId: number | null;
  status: TaskStatus | "all";
  assignedToMe: boolean;
  /** Keyset: tasks with a smaller id than this. */
  beforeId: number | null;
  limit: number;
}

/** A task's own fields, without what cards add (names, team title): what the API lists. */
export type TaskRecord = Pick<
  Task,
  | "id"
  | "teamId"
  | "title"
  | "description"
  | "status"
  | "priority"
  | "creatorId"
  | "assigneeId"
  | "dueAt"
  | "dueHasTime"
  | "doneAt"
  | "createdAt"
  | "updatedAt"
  | "sourceChatId"
  | "sourceMessageId"
  | "reminderOffsets"
  | "repeat"
  | "seriesId"
  | "nextId"
>;

/**
 * Which tasks a list shows (`t` is tasks): a team's, or the viewer's own private ones and
 * those assigned to them in teams they are still in; then the status, the assignee and the
 * page's keyset. Shared by the row query below and the JSON one (task-list-json.ts).
 */
export function taskListFilter(db: Db, query: TaskQuery) {
  const me = query.viewerId;
  return {
    scope:
      query.teamId !== null
        ? db`t.team_id = ${query.teamId}`
        : db`((t.team_id is null and (t.creator_id = ${me} or t.assignee_id = ${me}))
            or (t.assignee_id = ${me} and t.team_id is not null and exists (
              select 1 from team_members m where m.team_id = t.team_id and m.user_id = ${me})))`,
    status: query.status === "all" ? db`` : db`and t.status = ${query.status}`,
    assignee: query.assignedToMe ? db`and t.assignee_id = ${me}` : db``,
    before: query.beforeId === null ? db`` : db`and t.id < ${query.beforeId}`,
  };
}

/** One page of tasks, newest first, and whether more follow. */
export async function queryTasks(
  db: Db,
  vault: Vault,
  query: TaskQuery,
): Promise<{ tasks: TaskRecord[]; more: boolean }> {
  const { scope, status, assignee, before } = taskListFilter(db, query);
  const rows = await db<SealedTextRow<TaskRecord>[]>`
    select t.id, t.team_id, t.title, t.description, t.status, t.priority, t.creator_id,
           t.assignee_id, t.due_at, t.due_has_time, t.done_at, t.created_at, t.updated_at, t.source_chat_id,
           t.source_message_id, t.repeat, t.series_id, t.next_id,
           ${reminderOffsetsSql(db)}
    from tasks t
    where ${scope} ${status} ${assignee} ${before}
    order by t.id desc limit ${query.limit + 1}
  `;
  return {
    tasks: rows.slice(0, query.limit).map((row) => openTaskTexts(vault, row)),
    more: rows.length > query.limit,
  };
}

export interface TaskChanges {
  teamId?: number | null;
  title?: string;
  description?: string | null;
  assigneeId?: number | null;
  dueAt?: Date | null;
  dueHasTime?: boolean;
  priority?: TaskPriority;
  status?: TaskStatus;
}

/**
 * Applies the changes that are present; a status change sets or clears done_at. A new
 * title or description is sealed, so it needs the vault.
 */
export async function updateTask(
  db: Db,
  id: number,
  changes: TaskChanges,
  now: Date,
  vault?: Vault,
): Promise<void> {
  const c = changes;
  const parts = [db`updated_at = ${now}`];
  if (c.title !== undefined || c.description !== undefined) {
    if (!vault) throw new Error("changing a task's title or description needs the vault");
    if (c.title !== undefined) parts.push(db`title = ${sealTaskText(vault, id, "title", c.title)}`);
    if (c.description !== undefined) {
      parts.push(db`description = ${sealTaskText(vault, id, "description", c.description)}`);
    }
  }
  if (c.assigneeId !== undefined) parts.push(db`assignee_id = ${c.assigneeId}`);
  if (c.dueAt !== undefined) parts.push(db`due_at = ${c.dueAt}`);
  if (c.dueHasTime !== undefined) parts.push(db`due_has_time = ${c.dueHasTime}`);
  if (c.priority !== undefined) parts.push(db`priority = ${c.priority}`);
  if (c.status !== undefined) {
    parts.push(db`status = ${c.status}`);
    parts.push(c.status === "done" ? db`done_at = coalesce(done_at, ${now})` : db`done_at = null`);
  }
  if (c.teamId !== undefined) {
    // A task moved to another team (or out of one) no longer points at a message there:
    // its card's id, edited in the new chat, would overwrite some other message.
    const same = db`team_id is not distinct from ${c.teamId}::bigint`;
    parts.push(db`team_id = ${c.teamId}`);
    parts.push(db`card_message_id = case when ${same} then card_message_id end`);
    parts.push(db`source_chat_id = case when ${same} then source_chat_id end`);
    parts.push(db`source_message_id = case when ${same} then source_message_id end`);
  }
  const set = parts.reduce((all, part) => db`${all}, ${part}`);
  await db`update tasks set ${set} where id = ${id}`;
}

export async function deleteTask(db: Db, id: number): Promise<boolean> {
  const result = await db`delete from tasks where id = ${id}`;
  return result.count > 0;
}

/** Remembers the team chat's message that shows the task, to edit it on later changes. */
export async function setCardMessage(db: Db, taskId: number, messageId: number): Promise<void> {
  await db`update tasks set card_message_id = ${messageId} where id = ${taskId}`;
}

/** What creating a task must know before it writes: its id and who may be on it. */
export interface TaskPlacement {
  id: number;
  /** The creator is a member of the team (true for a personal task). */
  creatorInTeam: boolean;
  /** The assignee may get the task (true when there is none). */
  assigneeAllowed: boolean;
  /** The creator's timezone, in which a repeat rule's days are meant. */
  creatorZone: string;
}

/**
 * Reserves the new task's id (its sealed texts are bound to it) and checks who may be on it,
 * in one round trip: in a team, members; for a personal task, the creator or someone who
 * shares a team with them.
 */
export async function placeNewTask(
  db: Db,
  creatorId: number,
  teamId: number | null,
  assigneeId: number | null,
): Promise<TaskPlacement> {
  const [row] = await db<TaskPlacement[]>`
    select nextval(pg_get_serial_sequence('tasks', 'id'))::int8 as id,
      (${teamId}::int8 is null or exists (
        select 1 from team_members m where m.team_id = ${teamId}::int8 and m.user_id = ${creatorId}
      )) as creator_in_team,
      (${assigneeId}::int8 is null or exists (select 1 from users u where u.id = ${assigneeId}::int8)
        and case when ${teamId}::int8 is not null
          then exists (select 1 from team_members m
                       where m.team_id = ${teamId}::int8 and m.user_id = ${assigneeId}::int8)
          else ${assigneeId}::int8 = ${creatorId} or exists (
            select 1 from team_members a join team_members b on a.team_id = b.team_id
            where a.user_id = ${creatorId} and b.user_id = ${assigneeId}::int8)
        end) as assignee_allowed,
      coalesce((select timezone from users where id = ${creatorId}), 'UTC') as creator_zone
  `;
  if (!row) throw new Error("the task id sequence returned no value");
  return { ...row, id: Number(row.id) };
}

/**
 * Writes a task placed by placeNewTask with its rule and reminders in one statement.
 * Reminders whose time has already passed are recorded as skipped, as setReminderOffsets does.
 * The reminders trigger adds the one at the due time afterwards: readCreatedTask settles that.
 */
export async function insertPlacedTask(
  db: Db,
  vault: Vault,
  id: number,
  task: NewTask,
  offsets: readonly number[],
  now: Date,
): Promise<void> {
  const { repeat, title, description, sourceAuthorId, ...fields } = task;
  await db`
    with t as (
      insert into tasks ${db({
        ...fields,
        id,
        title: sealTaskText(vault, id, "title", title),
        description: sealTaskText(vault, id, "description", description),
        sourceAuthorId: sourceAuthorId ?? null,
        repeat: repeat ? db.json(repeat.rule) : null,
        repeatZone: repeat?.zone ?? null,
        seriesId: repeat ? id : null,
        createdAt: now,
        updatedAt: now,
      })}
      returning id, due_at, due_has_time
    )
    insert into reminders (task_id, offset_minutes, remind_at, state)
    select t.id, o.offset_minutes, t.due_at - make_interval(mins => o.offset_minutes),
           case when t.due_at - make_interval(mins => o.offset_minutes) < ${now}
                then 'skipped' else 'pending' end
    from t, unnest(${[...offsets]}::int[]) as o(offset_minutes)
    where t.due_at is not null and t.due_has_time
  `;
}

/**
 * The view of a task insertPlacedTask wrote. With `offsets`, its reminders become exactly
 * those: the at-due-time one the trigger added goes in the same statement. Both parts of
 * one statement read the same snapshot, so the view's offsets are set from what was asked.
 */
export async function readCreatedTask(
  db: Db,
  reader: TaskReader,
  id: number,
  offsets: readonly number[] | undefined,
): Promise<TaskView> {
  const [row] = await db<TaskViewRow[]>`
    with gone as (
      delete from reminders
      where ${offsets !== undefined} and task_id = ${id}
        and offset_minutes <> all(${[...(offsets ?? [])]}::int[])
    )
    ${selectViews(db, reader.retention.rules)} where t.id = ${id}
  `;
  if (!row) throw new Error("created task vanished");
  const view = toView(reader.vault, row);
  return offsets === undefined ? view : { ...view, reminderOffsets: [...offsets] };
}
