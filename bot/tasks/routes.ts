import { z } from "zod";
import {
  type ApiContext,
  apiRouter,
  conditionalJson,
  decodeCursor,
  encodeCursor,
  etagOf,
  idParam,
  limitParam,
  parseWith,
  readBody,
  teamIdParam,
} from "#bot/http/route-helpers";
import { Invalid } from "#bot/lib/errors";
import type { Services } from "#bot/telegram/context";
import { newTaskBody, type TaskJson, taskChangesBody } from "./contract.ts";
import { changeTask, removeTask, skipOccurrence } from "./core/change.ts";
import { createTask } from "./core/create.ts";
import { listTasksAsJson, type TaskSource, taskSources } from "./core/list.ts";
import { InvalidField, type TaskOperation, type TaskRecord } from "./core/operation.ts";
import { visibleTask } from "./core/visibility.ts";
import { taskEffects } from "./effects.ts";
import { isReminderOffset } from "./limits.ts";

/** A task as the API shows it: ids, ISO-8601 UTC times, absent values null. */
export function taskJson(task: TaskRecord, source: TaskSource | undefined): TaskJson {
  return {
    id: task.id,
    teamId: task.teamId,
    title: task.title,
    description: task.description,
    status: task.status,
    priority: task.priority,
    creatorId: task.creatorId,
    assigneeId: task.assigneeId,
    dueAt: task.dueAt?.toISOString() ?? null,
    dueHasTime: task.dueHasTime,
    doneAt: task.doneAt?.toISOString() ?? null,
    createdAt: task.createdAt.toISOString(),
    updatedAt: task.updatedAt.toISOString(),
    sourceMessage: source
      ? { chatId: source.chatId, messageId: source.messageId, text: source.text }
      : null,
    // The core writes no other offsets; the filter tells the type system so.
    reminders: (task.reminderOffsets ?? []).filter(isReminderOffset),
    repeat: task.repeat,
    seriesId: task.seriesId,
    nextId: task.nextId,
  };
}

const listQuery = z.strictObject({
  teamId: teamIdParam.optional(),
  status: z.enum(["open", "done", "all"], { error: "must be open, done or all" }).default("open"),
  assignee: z.enum(["me", "any"], { error: "must be me or any" }).default("any"),
  limit: limitParam,
  cursor: z.string().max(200).optional(),
});
const taskCursor = z.strictObject({ id: idParam });

/** The core's refusal of one field, worded as the API words field errors: "field: why". */
async function inApiTerms<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (!(error instanceof InvalidField)) throw error;
    const why = error.message.charAt(0).toLowerCase() + error.message.slice(1);
    throw new Invalid(`${error.field}: ${why}`, error.code);
  }
}

/**
 * /api/tasks: the caller's tasks and their teams' tasks, over the task core. A task the
 * caller may not see is a 404, like a missing one.
 */
export function taskRoutes(services: Services) {
  const routes = apiRouter();

  /** The request's unit as a task operation; its effects reach people after the commit. */
  const operation = (c: ApiContext): TaskOperation => {
    const unit = c.get("unit");
    return {
      db: unit.db,
      now: unit.now,
      actor: unit.actor,
      reader: services,
      effects: taskEffects(unit, services, { actorName: c.get("caller").firstName }),
    };
  };
  const asJson = async (op: TaskOperation, task: TaskRecord) =>
    taskJson(task, (await taskSources(op, [task]))(task));

  routes.get("/tasks", async (c) => {
    const query = parseWith(listQuery, c.req.query());
    const list = await listTasksAsJson(
      operation(c),
      services.taskLists,
      {
        teamId: query.teamId ?? null,
        status: query.status,
        assignedToMe: query.assignee === "me",
        beforeId: query.cursor === undefined ? null : decodeCursor(query.cursor, taskCursor).id,
        limit: query.limit,
      },
      (lastId) => encodeCursor({ id: lastId }),
    );
    return conditionalJson(c, list.etag, list.body);
  });

  routes.post("/tasks", async (c) => {
    const body = await readBody(c, newTaskBody);
    const op = operation(c);
    const task = await inApiTerms(() =>
      createTask(op, {
        teamId: body.teamId ?? null,
        title: body.title,
        description: body.description ?? null,
        priority: body.priority ?? "normal",
        assigneeId: body.assigneeId ?? null,
        due: body.dueAt ? { at: body.dueAt, hasTime: true } : null,
        repeat: body.repeat ? { rule: body.repeat, time: null } : null,
        ...(body.reminders ? { reminders: body.reminders } : {}),
        ...(body.sourceMessage ? { storedMessage: body.sourceMessage } : {}),
      }),
    );
    return c.json(await asJson(op, task), 201);
  });

  routes.get("/tasks/:id", async (c) => {
    const id = parseWith(idParam, c.req.param("id"));
    const op = operation(c);
    const body = JSON.stringify(await asJson(op, await visibleTask(op, id)));
    return conditionalJson(c, etagOf(body), () => body);
  });

  routes.patch("/tasks/:id", async (c) => {
    const id = parseWith(idParam, c.req.param("id"));
    const body = await readBody(c, taskChangesBody);
    const op = operation(c);
    const task = await inApiTerms(() => changeTask(op, id, body));
    return c.json(await asJson(op, task));
  });

  routes.post("/tasks/:id/skip", async (c) => {
    const id = parseWith(idParam, c.req.param("id"));
    const op = operation(c);
    return c.json(await asJson(op, await skipOccurrence(op, id)));
  });

  routes.delete("/tasks/:id", async (c) => {
    const id = parseWith(idParam, c.req.param("id"));
    await removeTask(operation(c), id);
    return c.body(null, 204);
  });

  return routes;
}
