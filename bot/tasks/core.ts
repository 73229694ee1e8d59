import { z } from "zod";
import { DomainError, notFound } from "#bot/lib/errors";
import type { ParsedRepeat } from "#bot/tasks/recurring/parse";
import { startSeries } from "#bot/tasks/recurring/series";
import type { Db } from "#db/client";
import { REMINDER_OFFSETS } from "#db/reminders";
import { repeatRuleSchema } from "#db/repeat";
import {
  insertPlacedTask,
  placeNewTask,
  readCreatedTask,
  type TaskReader,
  type TaskView,
} from "#db/tasks";
import { isLongPast } from "./due.ts";
import type { TaskEvent } from "./notify.ts";
import { DESCRIPTION_MAX, TITLE_MAX } from "./parse.ts";

/** Who acts: the Telegram user behind the update or the request. */
export interface Actor {
  userId: number;
  isAdmin?: boolean;
}

/**
 * What an operation leaves to happen after its transaction commits. Each edge implements it
 * with what it has (the bot: ctx.afterCommit; the API: its after-commit list).
 */
export interface Effects {
  /** The people concerned by `event` on `task` are told in private, once it has committed. */
  taskEvent(task: TaskView, event: TaskEvent): void;
}

/** One operation's context: the update's or request's transaction, its time, who acts. */
export interface Operation {
  db: Db;
  now: Date;
  actor: Actor;
  effects: Effects;
  reader: TaskReader;
}

/** An input refused for one field: the API names the field, the chat only says why. */
export class InvalidField extends DomainError {
  constructor(
    readonly field: string,
    message: string,
    code?: string,
  ) {
    super("invalid", message, code);
  }
}

const newTaskInput = z.object({
  title: z
    .string()
    .trim()
    .min(1, { error: "The title must not be empty." })
    .max(TITLE_MAX, { error: `The title is too long (at most ${TITLE_MAX} characters).` }),
  description: z
    .string()
    .max(DESCRIPTION_MAX, {
      error: `The description is too long (at most ${DESCRIPTION_MAX} characters).`,
    })
    .nullable()
    .default(null)
    .transform((text) => (text === null || text.trim() === "" ? null : text)),
  teamId: z.number().int().nullable().default(null),
  assigneeId: z.number().int().positive().nullable().default(null),
  priority: z.enum(["low", "normal", "high"]).default("normal"),
  due: z.object({ at: z.date(), hasTime: z.boolean() }).nullable().default(null),
  repeat: z
    .object({
      rule: repeatRuleSchema,
      time: z.object({ hour: z.number().int(), minute: z.number().int() }).nullable(),
    })
    .nullable()
    .default(null),
  reminders: z
    .array(
      z
        .number()
        .int()
        .refine((minutes) => (REMINDER_OFFSETS as readonly number[]).includes(minutes), {
          error: `Reminders are ${REMINDER_OFFSETS.join(", ")} minutes before the due time.`,
        }),
    )
    .max(REMINDER_OFFSETS.length)
    .transform((offsets) => [...new Set(offsets)].sort((a, b) => a - b))
    /** Absent: the one at the due time, as every task with a due time gets. */
    .optional(),
  /** The message the task is made from; the edge has checked the actor may use it. */
  source: z
    .object({
      chatId: z.number().int(),
      messageId: z.number().int().positive(),
      date: z.date(),
      authorId: z.number().int().positive().nullable(),
    })
    .nullable()
    .default(null),
});

export type NewTaskInput = z.input<typeof newTaskInput>;

function parseInput(input: NewTaskInput) {
  const parsed = newTaskInput.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new InvalidField(String(issue?.path[0] ?? "task"), issue?.message ?? "Invalid task.");
}

/**
 * Creates a task in at most three statements (place, write with rule and reminders, read the
 * view) and queues the assignee's notice. Every edge that creates a task calls this.
 */
export async function createTask(op: Operation, input: NewTaskInput): Promise<TaskView> {
  const task = parseInput(input);
  if (task.due && isLongPast(task.due.at, op.now)) {
    throw new InvalidField("dueAt", "That date is more than a year in the past.", "due_too_old");
  }
  const place = await placeNewTask(op.db, op.actor.userId, task.teamId, task.assigneeId);
  // Same answer as a team that does not exist: a stranger learns nothing about it.
  if (!place.creatorInTeam) throw notFound("No such team.");
  if (!place.assigneeAllowed) {
    throw new InvalidField(
      "assigneeId",
      task.teamId === null
        ? "not you or someone who shares a group with you."
        : "not a member of that group.",
    );
  }
  const repeat: ParsedRepeat | null = task.repeat;
  const series = repeat
    ? startSeries(
        repeat,
        task.due ? { dueAt: task.due.at, dueHasTime: task.due.hasTime } : null,
        place.creatorZone,
        op.now,
      )
    : null;
  const dueAt = series?.due.dueAt ?? task.due?.at ?? null;
  const dueHasTime = series?.due.dueHasTime ?? task.due?.hasTime ?? false;
  if (task.reminders && task.reminders.length > 0 && (dueAt === null || !dueHasTime)) {
    throw new InvalidField("reminders", "The task needs a due date and time to remind.");
  }
  await insertPlacedTask(
    op.db,
    op.reader.vault,
    place.id,
    {
      teamId: task.teamId,
      title: task.title,
      description: task.description,
      priority: task.priority,
      creatorId: op.actor.userId,
      assigneeId: task.assigneeId,
      dueAt,
      dueHasTime,
      sourceChatId: task.source?.chatId ?? null,
      sourceMessageId: task.source?.messageId ?? null,
      sourceDate: task.source?.date ?? null,
      sourceAuthorId: task.source?.authorId ?? null,
      repeat: series?.repeat ?? null,
    },
    task.reminders ?? [],
    op.now,
  );
  const view = await readCreatedTask(op.db, op.reader, place.id, task.reminders);
  op.effects.taskEvent(view, "assigned");
  return view;
}
