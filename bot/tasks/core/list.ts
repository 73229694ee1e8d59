import { notFound } from "#bot/lib/errors";
import { type KeptList, MAX_AGE_MS, type TaskListCache } from "#bot/lib/list-cache";
import { PRIVACY_POLICY_VERSION } from "#bot/privacy/policy";
import { storedMessagesByKey } from "#db/messages";
import { taskListJson } from "#db/task-list-json";
import {
  listTasks as listPage,
  queryTasks,
  type TaskPage,
  type TaskRecord,
  type TaskScope,
  type TaskStatus,
} from "#db/tasks";
import { isMember } from "#db/teams";
import { REMINDER_OFFSETS } from "../limits.ts";
import type { TaskOperation } from "./operation.ts";
import type { ChatScope } from "./rules.ts";

/** The message a task was made from, while its group keeps it. */
export interface TaskSource {
  chatId: number;
  messageId: number;
  text: string;
}

/**
 * The messages `tasks` were made from, in one read: only those their group still keeps
 * and whose authors consent to the current notice.
 */
export async function taskSources(
  op: Pick<TaskOperation, "db" | "now" | "reader">,
  tasks: readonly TaskRecord[],
): Promise<(task: TaskRecord) => TaskSource | undefined> {
  const keys = tasks.flatMap((t) =>
    t.sourceChatId !== null && t.sourceMessageId !== null
      ? [{ chatId: t.sourceChatId, messageId: t.sourceMessageId }]
      : [],
  );
  const found = await storedMessagesByKey(
    op.db,
    op.reader.vault,
    { rules: op.reader.retention.rules, now: op.now, policyVersion: PRIVACY_POLICY_VERSION },
    keys,
  );
  return (task) => found.get(`${task.sourceChatId}:${task.sourceMessageId}`);
}

export interface ChatListRequest {
  status: TaskStatus;
  page: number;
  pageSize: number;
}

/**
 * One page of a chat's list: a group shows its own team's tasks, a private chat the tasks
 * its user created or is assigned to in teams they still belong to (the same rule as
 * visibleTask). After tasks move off the last page, the new last page rather than an empty one.
 */
export async function listChatTasks(
  op: Pick<TaskOperation, "db" | "actor" | "reader">,
  chat: ChatScope,
  request: ChatListRequest,
): Promise<{ page: TaskPage; pageNumber: number }> {
  const scope: TaskScope =
    chat.kind === "team"
      ? { kind: "team", teamId: chat.teamId }
      : { kind: "personal", userId: op.actor.userId };
  const read = (pageNumber: number) =>
    listPage(op.db, op.reader, scope, request.status, {
      offset: pageNumber * request.pageSize,
      limit: request.pageSize,
    });
  const page = await read(request.page);
  const last = Math.max(1, Math.ceil(page.total / request.pageSize)) - 1;
  if (request.page <= last) return { page, pageNumber: request.page };
  return { page: await read(last), pageNumber: last };
}

export interface TaskListRequest {
  /** A team's tasks; null: my private tasks and those assigned to me. */
  teamId: number | null;
  status: TaskStatus | "all";
  assignedToMe: boolean;
  /** Keyset: tasks with a smaller id than this. */
  beforeId: number | null;
  limit: number;
}

/** The API's list, newest first, keyset-paged; a team the actor is not in does not exist. */
export async function listTasks(
  op: Pick<TaskOperation, "db" | "now" | "actor" | "reader">,
  request: TaskListRequest,
): Promise<{
  tasks: TaskRecord[];
  more: boolean;
  sourceOf: (task: TaskRecord) => TaskSource | undefined;
}> {
  if (request.teamId !== null && !(await isMember(op.db, request.teamId, op.actor.userId))) {
    throw notFound("No such team.");
  }
  const page = await queryTasks(op.db, op.reader.vault, { viewerId: op.actor.userId, ...request });
  return { ...page, sourceOf: await taskSources(op, page.tasks) };
}

/**
 * The same list as the API's JSON, written by PostgreSQL in one statement with the
 * membership check; the texts are opened only when the body is sent (not for a 304). Kept
 * in `kept` (list-cache.ts) while nothing it shows changes: then it costs no statement.
 * A team's list is the same for every member, so it is kept once per team; whether the
 * viewer is a member is kept beside it.
 */
const UTF8 = new TextEncoder();

export async function listTasksAsJson(
  op: Pick<TaskOperation, "db" | "now" | "actor" | "reader">,
  kept: TaskListCache,
  request: TaskListRequest,
  cursorOf: (lastId: number) => string,
): Promise<{ etag: string; body: () => Uint8Array<ArrayBuffer> }> {
  const me = op.actor.userId;
  const nowMs = op.now.getTime();
  const { teamId } = request;
  const membership = teamId === null ? null : `${teamId}:${me}`;
  const name = [
    teamId === null ? `mine:${me}` : `team:${teamId}`,
    request.status,
    request.assignedToMe ? `assigned:${me}` : "anyone",
    request.beforeId ?? "",
    request.limit,
  ].join(":");
  if (kept.keeping()) {
    const current = () => {
      const list = kept.lists.get(name);
      return list && nowMs <= list.validUntilMs ? list : undefined;
    };
    let member = membership === null ? true : kept.membership.get(membership);
    if (member === undefined && teamId !== null && current()) {
      // The team's list is kept: whether this viewer may see it is all there is to read.
      const readAt = kept.readAt();
      member = await isMember(op.db, teamId, me);
      kept.membership.set(`${teamId}:${me}`, member, [teamId, me], readAt);
    }
    if (member === false) throw notFound("No such team.");
    // Read again: the list may have changed while the membership was read.
    const list = member ? current() : undefined;
    if (list) return list;
  }

  const readAt = kept.readAt();
  const list = await taskListJson(
    op.db,
    {
      viewerId: me,
      ...request,
      shownOffsets: REMINDER_OFFSETS,
      reading: {
        rules: op.reader.retention.rules,
        now: op.now,
        policyVersion: PRIVACY_POLICY_VERSION,
      },
    },
    cursorOf,
  );
  if (membership !== null && teamId !== null && kept.keeping()) {
    kept.membership.set(membership, list.member, [teamId, me], readAt);
  }
  if (!list.member) throw notFound("No such team.");
  let opened: Uint8Array<ArrayBuffer> | undefined;
  const answer: KeptList = {
    etag: list.etag,
    body: () => {
      // Encoded once: a kept list is sent many times. (A Buffer of a short text would be a
      // view into Node's shared pool; an encoder's array is its own.)
      opened ??= UTF8.encode(list.body(op.reader.vault));
      return opened;
    },
    validUntilMs: Math.min(nowMs + MAX_AGE_MS, list.validUntil?.getTime() ?? Infinity),
  };
  if (kept.keeping()) kept.lists.set(name, answer, [teamId ?? me, ...list.teamIds], readAt);
  return answer;
}
