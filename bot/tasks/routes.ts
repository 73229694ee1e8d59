import type { Api } from "grammy";
import { z } from "zod";
import {
  apiRouter,
  decodeCursor,
  encodeCursor,
  idParam,
  limitParam,
  parseWith,
  readBody,
  teamIdParam,
} from "#bot/http/route-helpers";
import { Conflict, forbidden, Invalid, invalid, notFound } from "#bot/lib/errors";
import { PRIVACY_POLICY_VERSION } from "#bot/privacy/policy";
import { continueSeries, skipOccurrence, startSeries } from "#bot/tasks/recurring/series";
import type { Services } from "#bot/telegram/context";
import type { Db } from "#db/client";
import { messageSource, type StoredMessage, storedMessagesByKey } from "#db/messages";
import { REMINDER_OFFSETS, setReminderOffsets } from "#db/reminders";
import { type RepeatRule, repeatRuleSchema, setRepeat } from "#db/repeat";
import {
  deleteTask,
  getTaskForViewer,
  queryTasks,
  type TaskChanges,
  type TaskRecord,
  type TaskView,
  updateTask,
} from "#db/tasks";
import { isMember } from "#db/teams";
import type { User } from "#db/users";
import { timezoneOf } from "#db/users";
import { createTask, InvalidField } from "./core.ts";
import { isLongPast } from "./due.ts";
import {
  refreshGroupCard,
  retireGroupCard,
  sendTaskNotices,
  type TaskEvent,
  taskNoticeRecipients,
} from "./notify.ts";
import { DESCRIPTION_MAX, TITLE_MAX } from "./parse.ts";
import { resolveAssigneeId } from "./people.ts";
import { canSeeTask, moveRefusal } from "./rules.ts";

/** A task as the API shows it: ids, ISO-8601 UTC times, absent values null. */
export function taskJson(task: TaskRecord, source: StoredMessage | undefined) {
  return {
    id: task.id,
    teamId: task.teamId,
    title: task.title,
    description: task.description,
    status: task.status,
    priority: task.priority,
    creatorId: task.creatorId,
    assigneeId: task.assigneeId,
    dueAt: task.dueAt,
    dueHasTime: task.dueHasTime,
    doneAt: task.doneAt,
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
    sourceMessage: source
      ? { chatId: source.chatId, messageId: source.messageId, text: source.text }
      : null,
    reminders: task.reminderOffsets ?? [],
    repeat: task.repeat,
    seriesId: task.seriesId,
    nextId: task.nextId,
  };
}

const title = z
  .string()
  .trim()
  .min(1, { error: "must not be empty" })
  .max(TITLE_MAX, { error: `must be at most ${TITLE_MAX} characters` });
const description = z
  .string()
  .max(DESCRIPTION_MAX, { error: `must be at most ${DESCRIPTION_MAX} characters` })
  .transform((text) => (text.trim() === "" ? null : text))
  .nullable();
const userId = z
  .number({ error: "must be a Telegram user id" })
  .int({ error: "must be a Telegram user id" })
  .positive({ error: "must be a Telegram user id" })
  .max(Number.MAX_SAFE_INTEGER);
const dueAt = z.iso
  .datetime({ offset: true, error: "must be an ISO-8601 date and time, like 2026-12-24T15:00:00Z" })
  .transform((text) => new Date(text))
  .nullable();
const priority = z.enum(["low", "normal", "high"], { error: "must be low, normal or high" });
const reminders = z
  .array(
    z.union(
      REMINDER_OFFSETS.map((minutes) => z.literal(minutes)),
      {
        error: `must list minutes before the due time, each one of ${REMINDER_OFFSETS.join(", ")}`,
      },
    ),
  )
  .max(REMINDER_OFFSETS.length)
  .transform((offsets) => [...new Set(offsets)].sort((a, b) => a - b));
const teamField = z
  .number({ error: "must be a group's chat id" })
  .int({ error: "must be a group's chat id" })
  .refine((id) => id < 0 && Number.isSafeInteger(id), { error: "must be a group's chat id" })
  .nullable();

const repeat = repeatRuleSchema.nullable();

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

/** A new due date: one more than a year back is refused with its own code. */
function checkDueAt(dueAt: Date | null | undefined, now: Date): void {
  if (dueAt && isLongPast(dueAt, now)) {
    throw new Invalid("dueAt: that date is more than a year in the past.", "due_too_old");
  }
}

const newTaskBody = z.strictObject({
  title,
  description: description.optional(),
  teamId: teamField.optional(),
  assigneeId: userId.nullable().optional(),
  dueAt: dueAt.optional(),
  priority: priority.optional(),
  reminders: reminders.optional(),
  repeat: repeat.optional(),
  /** The team's stored message the task is made from ("From a message" in the Mini App). */
  sourceMessage: z
    .strictObject({ chatId: z.number().int().safe(), messageId: z.number().int().positive() })
    .optional(),
});

const taskChangesBody = z.strictObject({
  title: title.optional(),
  description: description.optional(),
  teamId: teamField.optional(),
  assigneeId: userId.nullable().optional(),
  dueAt: dueAt.optional(),
  priority: priority.optional(),
  status: z.enum(["open", "done"], { error: "must be open or done" }).optional(),
  reminders: reminders.optional(),
  repeat: repeat.optional(),
});

const listQuery = z.strictObject({
  teamId: teamIdParam.optional(),
  status: z.enum(["open", "done", "all"], { error: "must be open, done or all" }).default("open"),
  assignee: z.enum(["me", "any"], { error: "must be me or any" }).default("any"),
  limit: limitParam,
  cursor: z.string().max(200).optional(),
});
const taskCursor = z.strictObject({ id: idParam });

/**
 * /api/tasks: the caller's tasks and their teams' tasks. A task the caller may not see is
 * a 404, like a missing one.
 */
export function taskRoutes(services: Services, telegram: Api) {
  const { sql, vault, clock } = services;
  const routes = apiRouter();

  const sourcesOf = async (db: Db, tasks: TaskRecord[]) => {
    const keys = tasks.flatMap((t) =>
      t.sourceChatId !== null && t.sourceMessageId !== null
        ? [{ chatId: t.sourceChatId, messageId: t.sourceMessageId }]
        : [],
    );
    const found = await storedMessagesByKey(
      db,
      vault,
      { rules: services.retention.rules, now: clock.now(), policyVersion: PRIVACY_POLICY_VERSION },
      keys,
    );
    return (task: TaskRecord) => found.get(`${task.sourceChatId}:${task.sourceMessageId}`);
  };
  const asJson = async (db: Db, task: TaskView) =>
    taskJson(task, (await sourcesOf(db, [task]))(task));

  /**
   * The private messages a change sends, as the bot sends them: read in the transaction,
   * sent once it has committed, in the background.
   */
  const planNotices = async (db: Db, task: TaskView, events: TaskEvent[], actorId: number) => {
    const planned: Array<{ event: TaskEvent; recipients: User[] }> = [];
    for (const event of events) {
      planned.push({
        event,
        recipients: await taskNoticeRecipients(db, vault, task, event, actorId),
      });
    }
    return {
      send: (actorName: string) => {
        for (const { event, recipients } of planned) {
          if (recipients.length > 0) {
            void sendTaskNotices(telegram, services, recipients, task, event, actorName);
          }
        }
      },
    };
  };

  /** Sets the task's reminders; they need a due time with a time of day. */
  const withReminders = async (db: Db, callerId: number, task: TaskView, offsets: number[]) => {
    if (offsets.length > 0 && (task.dueAt === null || !task.dueHasTime)) {
      throw invalid("reminders: the task needs a due date and time to remind.");
    }
    await setReminderOffsets(db, task.id, offsets, clock.now());
    return checkedTask(db, callerId, task.id);
  };

  /** Sets or stops the rule; a task without a due date starts on the rule's first day. */
  const changeRepeat = async (
    db: Db,
    callerId: number,
    id: number,
    rule: RepeatRule | null,
    zone: string,
  ) => {
    const now = clock.now();
    if (rule === null) return setRepeat(db, id, null, now);
    const task = await checkedTask(db, callerId, id);
    const given = task.dueAt ? { dueAt: task.dueAt, dueHasTime: task.dueHasTime } : null;
    const series = startSeries({ rule, time: null }, given, zone, now);
    if (!given) await updateTask(db, id, series.due, now);
    await setRepeat(db, id, series.repeat, now);
  };

  const visibleTask = async (db: Db, callerId: number, id: number) => {
    const found = await getTaskForViewer(db, services, id, callerId);
    if (!found || !canSeeTask(found.task, callerId, found.viewerIsMember)) throw notFound();
    return found.task;
  };
  /**
   * A task the request already found visible, read again after changing it: an admin who
   * just made a task private no longer sees it, yet gets the answer to their change.
   */
  const checkedTask = async (db: Db, callerId: number, id: number) => {
    const found = await getTaskForViewer(db, services, id, callerId);
    if (!found) throw notFound();
    return found.task;
  };

  /** Who may move a task where: see moveRefusal. The target team's membership is checked too. */
  const checkMove = async (
    db: Db,
    caller: { id: number; isAdmin: boolean },
    task: TaskView,
    to: number | null,
    checkTarget: () => Promise<void>,
  ) => {
    const creatorInTarget =
      to !== null && task.creatorId !== null && (await isMember(db, to, task.creatorId));
    const refusal = moveRefusal(task, to, caller, creatorInTarget);
    if (refusal === "not_creator") {
      throw forbidden(
        "Only the task's creator or an admin may move it to another group or out of one.",
      );
    }
    await checkTarget();
    if (refusal === "creator_not_in_team") {
      throw forbidden("The task's creator is not a member of that group.");
    }
  };

  /** The team must be one the caller belongs to; the assignee one who may get the task. */
  const checkPlacement = async (
    db: Db,
    callerId: number,
    teamId: number | null,
    assigneeId: number | null,
  ) => {
    if (teamId !== null && !(await isMember(db, teamId, callerId))) {
      throw notFound("No such team.");
    }
    if (assigneeId === null) return;
    const assignee = await resolveAssigneeId(db, vault, String(assigneeId), callerId, teamId);
    if (!assignee.ok) {
      throw invalid(
        teamId === null
          ? "assigneeId: not you or someone who shares a group with you."
          : "assigneeId: not a member of that group.",
      );
    }
  };

  /** The stored message a new task copies: one the caller can pick in that team. */
  const taskSource = async (
    db: Db,
    callerId: number,
    teamId: number | null,
    key: { chatId: number; messageId: number },
  ) => {
    const found =
      teamId === null
        ? null
        : await messageSource(
            db,
            {
              rules: services.retention.rules,
              now: clock.now(),
              policyVersion: PRIVACY_POLICY_VERSION,
            },
            teamId,
            callerId,
            key,
          );
    if (!found) {
      throw invalid("sourceMessage: not a stored message of that group you can see.");
    }
    return found;
  };

  routes.get("/tasks", async (c) => {
    const caller = c.get("caller");
    const query = parseWith(listQuery, c.req.query());
    const teamId = query.teamId ?? null;
    if (teamId !== null && !(await isMember(sql, teamId, caller.id))) {
      throw notFound("No such team.");
    }
    const page = await queryTasks(sql, vault, {
      viewerId: caller.id,
      teamId,
      status: query.status,
      assignedToMe: query.assignee === "me",
      beforeId: query.cursor === undefined ? null : decodeCursor(query.cursor, taskCursor).id,
      limit: query.limit,
    });
    const sourceOf = await sourcesOf(sql, page.tasks);
    const last = page.tasks.at(-1);
    return c.json({
      tasks: page.tasks.map((task) => taskJson(task, sourceOf(task))),
      nextCursor: page.more && last ? encodeCursor({ id: last.id }) : null,
    });
  });

  routes.post("/tasks", async (c) => {
    const caller = c.get("caller");
    const body = await readBody(c, newTaskBody);
    const { json, notices } = await sql.begin(async (tx) => {
      const teamId = body.teamId ?? null;
      const source = body.sourceMessage
        ? await taskSource(tx, caller.id, teamId, body.sourceMessage)
        : null;
      const events: TaskEvent[] = [];
      const task = await inApiTerms(() =>
        createTask(
          {
            db: tx,
            now: clock.now(),
            actor: { userId: caller.id, isAdmin: caller.isAdmin },
            reader: services,
            effects: { taskEvent: (_task, event) => events.push(event) },
          },
          {
            teamId,
            title: body.title,
            description: body.description ?? null,
            priority: body.priority ?? "normal",
            assigneeId: body.assigneeId ?? null,
            due: body.dueAt ? { at: body.dueAt, hasTime: true } : null,
            repeat: body.repeat ? { rule: body.repeat, time: null } : null,
            ...(body.reminders ? { reminders: body.reminders } : {}),
            source: source && {
              chatId: source.chatId,
              messageId: source.messageId,
              date: source.date,
              authorId: source.authorId,
            },
          },
        ),
      );
      return {
        json: await asJson(tx, task),
        notices: await planNotices(tx, task, events, caller.id),
      };
    });
    notices.send(caller.firstName);
    return c.json(json, 201);
  });

  routes.get("/tasks/:id", async (c) => {
    const id = parseWith(idParam, c.req.param("id"));
    return c.json(await asJson(sql, await visibleTask(sql, c.get("caller").id, id)));
  });

  routes.patch("/tasks/:id", async (c) => {
    const caller = c.get("caller");
    const id = parseWith(idParam, c.req.param("id"));
    const body = await readBody(c, taskChangesBody);
    const { json, notices, groupCard } = await sql.begin(async (tx) => {
      const current = await visibleTask(tx, caller.id, id);
      // A date kept as it was is no new one: an old task stays editable.
      if (body.dueAt?.getTime() !== current.dueAt?.getTime()) checkDueAt(body.dueAt, clock.now());
      const teamId = body.teamId === undefined ? current.teamId : body.teamId;
      const assigneeId = body.assigneeId === undefined ? current.assigneeId : body.assigneeId;
      const placement = () => checkPlacement(tx, caller.id, teamId, assigneeId);
      const moved = teamId !== current.teamId;
      if (moved) await checkMove(tx, caller, current, teamId, placement);
      else if (body.assigneeId !== undefined) await placement();
      const { reminders: offsets, repeat: rule, ...fields } = body;
      const repeats = rule === undefined ? current.repeat !== null : rule !== null;
      if (fields.dueAt === null && repeats) {
        throw invalid(
          'dueAt: a repeating task needs a due date; send "repeat": null too to stop it repeating.',
        );
      }
      const now = clock.now();
      const changes: TaskChanges = {
        ...fields,
        ...(body.dueAt !== undefined ? { dueHasTime: body.dueAt !== null } : {}),
      };
      await updateTask(tx, id, changes, now, vault);
      const zone = await timezoneOf(tx, caller.id);
      if (rule !== undefined) await changeRepeat(tx, caller.id, id, rule, zone);
      let updated = await checkedTask(tx, caller.id, id);
      if (offsets) updated = await withReminders(tx, caller.id, updated, offsets);
      const completed = updated.status === "done" && current.status !== "done";
      const next = completed ? await continueSeries(tx, services, updated, now) : null;
      if (next) updated = { ...updated, nextId: next.id };
      const events: TaskEvent[] = [];
      if (updated.assigneeId !== current.assigneeId) events.push("assigned");
      if (updated.status !== current.status)
        events.push(updated.status === "done" ? "done" : "reopened");
      return {
        json: await asJson(tx, updated),
        notices: await planNotices(tx, updated, events, caller.id),
        groupCard: async () => {
          if (updated.status !== current.status) {
            await refreshGroupCard(telegram, services, updated, next, zone);
          }
          // The old group keeps no live card of a task it no longer has.
          if (moved) await retireGroupCard(telegram, services, current);
        },
      };
    });
    notices.send(caller.firstName);
    void groupCard();
    return c.json(json);
  });

  routes.post("/tasks/:id/skip", async (c) => {
    const caller = c.get("caller");
    const id = parseWith(idParam, c.req.param("id"));
    const json = await sql.begin(async (tx) => {
      const task = await visibleTask(tx, caller.id, id);
      if (task.status !== "open" || task.repeat === null) {
        throw new Conflict("Only an open repeating task can skip a date.", "not_repeating");
      }
      return asJson(tx, await skipOccurrence(tx, services, task, clock.now()));
    });
    return c.json(json);
  });

  routes.delete("/tasks/:id", async (c) => {
    const caller = c.get("caller");
    const id = parseWith(idParam, c.req.param("id"));
    await sql.begin(async (tx) => {
      const task = await visibleTask(tx, caller.id, id);
      if (task.creatorId !== caller.id && !caller.isAdmin) {
        throw forbidden("Only the task's creator or an admin may delete it.");
      }
      await deleteTask(tx, id);
    });
    return c.body(null, 204);
  });

  return routes;
}
