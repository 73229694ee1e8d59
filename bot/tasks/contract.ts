import { z } from "zod";
import {
  DESCRIPTION_MAX,
  PRIORITIES,
  type Priority,
  REMINDER_OFFSETS,
  type ReminderOffset,
  TITLE_MAX,
} from "./limits.ts";

/**
 * The task API's contract: what a request body may hold and what a task looks like in an
 * answer. It imports only zod and limits.ts, so the Mini App can `import type` from it
 * (and its constants from limits.ts) without pulling in the service.
 */

export * from "./limits.ts";

/**
 * How a task repeats, as stored in `tasks.repeat` and shown in the API. Days of the week
 * are ISO numbers (1 Monday … 7 Sunday); a monthly day past a month's end means its last.
 * Only an interval can count from completion ("7 days after done"): a calendar rule names
 * its own days. (db/repeat.ts holds the stored shape as a type; the task core checks at
 * compile time that the two agree.)
 */
export const repeatRuleSchema = z.discriminatedUnion("every", [
  z.strictObject({
    every: z.literal("days"),
    days: z.number().int().min(1).max(366),
    from: z.enum(["due", "done"]),
  }),
  z.strictObject({ every: z.literal("weekday") }),
  z.strictObject({
    every: z.literal("week"),
    weekdays: z.array(z.number().int().min(1).max(7)).min(1).max(7),
  }),
  z.strictObject({ every: z.literal("month"), day: z.number().int().min(1).max(31) }),
]);

export type RepeatRule = z.infer<typeof repeatRuleSchema>;

/** Characters as people count them (code points): an emoji is one, as in the chat. */
const characters = (text: string) => [...text].length;

const title = z
  .string()
  .trim()
  .min(1, { error: "must not be empty" })
  .refine((text) => characters(text) <= TITLE_MAX, {
    error: `must be at most ${TITLE_MAX} characters`,
  });
const description = z
  .string()
  .refine((text) => characters(text) <= DESCRIPTION_MAX, {
    error: `must be at most ${DESCRIPTION_MAX} characters`,
  })
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
const priority = z.enum(PRIORITIES, { error: "must be low, normal or high" });
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
const teamId = z
  .number({ error: "must be a group's chat id" })
  .int({ error: "must be a group's chat id" })
  .refine((id) => id < 0 && Number.isSafeInteger(id), { error: "must be a group's chat id" })
  .nullable();
const repeat = repeatRuleSchema.nullable();

/** POST /api/tasks. */
export const newTaskBody = z.strictObject({
  title,
  description: description.optional(),
  teamId: teamId.optional(),
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

/** PATCH /api/tasks/:id: only the fields present change. */
export const taskChangesBody = z.strictObject({
  title: title.optional(),
  description: description.optional(),
  teamId: teamId.optional(),
  assigneeId: userId.nullable().optional(),
  dueAt: dueAt.optional(),
  priority: priority.optional(),
  status: z.enum(["open", "done"], { error: "must be open or done" }).optional(),
  reminders: reminders.optional(),
  repeat: repeat.optional(),
});

/** What the Mini App sends (dates as ISO strings). */
export type NewTaskBody = z.input<typeof newTaskBody>;
export type TaskChangesBody = z.input<typeof taskChangesBody>;
/** What a route works with once the body is parsed (dates as Date). */
export type ParsedNewTaskBody = z.output<typeof newTaskBody>;
export type ParsedTaskChanges = z.output<typeof taskChangesBody>;

/** A task as the API answers it: ids, ISO-8601 UTC times, absent values null. */
export interface TaskJson {
  id: number;
  teamId: number | null;
  title: string;
  description: string | null;
  status: "open" | "done";
  priority: Priority;
  creatorId: number | null;
  assigneeId: number | null;
  dueAt: string | null;
  dueHasTime: boolean;
  doneAt: string | null;
  createdAt: string;
  updatedAt: string;
  /** The group message the task was made from, while its group keeps it. */
  sourceMessage: { chatId: number; messageId: number; text: string } | null;
  /** Minutes before the due time, ascending. */
  reminders: ReminderOffset[];
  repeat: RepeatRule | null;
  seriesId: number | null;
  nextId: number | null;
}

/** GET /api/tasks. */
export interface TaskListJson {
  tasks: TaskJson[];
  nextCursor: string | null;
}
