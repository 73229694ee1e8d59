import { z } from "zod";
import { invalid, notFound } from "#bot/lib/errors";
import { codePointLength } from "#bot/lib/text";
import { PRIVACY_POLICY_VERSION } from "#bot/privacy/policy";
import { messageSource } from "#db/messages";
import { insertPlacedTask, placeNewTask, readCreatedTask, type TaskView } from "#db/tasks";
import { repeatRuleSchema } from "../contract.ts";
import { DESCRIPTION_MAX, PRIORITIES, REMINDER_OFFSETS, TITLE_MAX } from "../limits.ts";
import { TASK_REASONS } from "../parse.ts";
import type { ParsedRepeat } from "../recurring/parse.ts";
import { InvalidField, type TaskOperation } from "./operation.ts";
import { resolveAssignee } from "./people.ts";
import {
  assigneeRefused,
  checkDueNotLongPast,
  checkRemindable,
  isReminderOffset,
  REMINDER_MENU,
} from "./rules.ts";
import { startSeries } from "./series.ts";

const newTaskInput = z.object({
  title: z
    .string()
    .trim()
    .min(1, { error: "The title must not be empty." })
    // Counted in code points, as the chat's parsers count: an emoji is one character.
    .refine((title) => codePointLength(title) <= TITLE_MAX, {
      error: TASK_REASONS.titleTooLong,
    }),
  description: z
    .string()
    .refine((text) => codePointLength(text) <= DESCRIPTION_MAX, {
      error: TASK_REASONS.descriptionTooLong,
    })
    .nullable()
    .default(null)
    .transform((text) => (text === null || text.trim() === "" ? null : text)),
  teamId: z.number().int().nullable().default(null),
  assigneeId: z.number().int().positive().nullable().default(null),
  /** "me" or an @username as someone wrote it; resolved to a person who may get the task. */
  assigneeName: z.string().optional(),
  priority: z.enum(PRIORITIES).default("normal"),
  due: z.object({ at: z.date(), hasTime: z.boolean() }).nullable().default(null),
  repeat: z
    .object({
      rule: repeatRuleSchema,
      time: z.object({ hour: z.number().int(), minute: z.number().int() }).nullable(),
    })
    .nullable()
    .default(null),
  reminders: z
    .array(z.number().int().refine(isReminderOffset, { error: REMINDER_MENU }))
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
  /**
   * A message of the team's stored history to copy (the Mini App's "From a message"): the
   * core checks the actor may pick it, and it becomes the source.
   */
  storedMessage: z
    .object({ chatId: z.number().int(), messageId: z.number().int().positive() })
    .optional(),
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
export async function createTask(op: TaskOperation, input: NewTaskInput): Promise<TaskView> {
  const task = parseInput(input);
  if (task.storedMessage) task.source = await storedSource(op, task.teamId, task.storedMessage);
  if (task.assigneeName !== undefined) {
    const named = await resolveAssignee(
      op.db,
      op.reader.vault,
      task.assigneeName,
      op.actor.userId,
      task.teamId,
    );
    if (!named.ok) throw invalid(named.reason);
    task.assigneeId = named.person.id;
  }
  checkDueNotLongPast(task.due?.at, op.now);
  const place = await placeNewTask(op.db, op.actor.userId, task.teamId, task.assigneeId);
  // Same answer as a team that does not exist: a stranger learns nothing about it.
  if (!place.creatorInTeam) throw notFound("No such team.");
  if (!place.assigneeAllowed) {
    throw assigneeRefused(task.teamId);
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
  checkRemindable({ dueAt, dueHasTime }, task.reminders ?? []);
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
  await op.effects.taskEvent(view, "assigned");
  return view;
}

/** The stored message a new task copies: one the actor can pick in that team. */
async function storedSource(
  op: TaskOperation,
  teamId: number | null,
  key: { chatId: number; messageId: number },
) {
  const found =
    teamId === null
      ? null
      : await messageSource(
          op.db,
          { rules: op.reader.retention.rules, now: op.now, policyVersion: PRIVACY_POLICY_VERSION },
          teamId,
          op.actor.userId,
          key,
        );
  if (!found) {
    throw new InvalidField("sourceMessage", "Not a stored message of that group you can see.");
  }
  return {
    chatId: found.chatId,
    messageId: found.messageId,
    date: found.date,
    authorId: found.authorId,
  };
}
