import type { z } from "zod";
import { DomainError } from "#bot/lib/errors";
import type { Operation } from "#bot/lib/operation";
import type { repeatRuleSchema } from "#bot/tasks/contract";
import type { RepeatRule as StoredRepeatRule } from "#db/repeat";
import type { TaskReader, TaskView } from "#db/tasks";

// The types the edges need from db/, so that they never import it.
export type { NextOccurrence, Repeat } from "#db/repeat";
export type {
  Person,
  TaskPage,
  TaskPriority,
  TaskReader,
  TaskRecord,
  TaskStatus,
  TaskView,
} from "#db/tasks";

/** Who hears about a change in private: see notices.ts. */
export type TaskEvent = "assigned" | "done" | "reopened";

/**
 * What a task operation leaves to happen after its transaction commits, described as data;
 * one implementation (bot/tasks/effects.ts) delivers it for the bot and the API alike.
 */
/**
 * What a task operation leaves for others to see. An operation awaits each (what it answers
 * is not used): the messages are written to the outbox in the operation's transaction.
 */
export interface TaskEffects {
  /** The people concerned by `event` on `task` are told in private. */
  taskEvent(task: TaskView, event: TaskEvent, next?: TaskView | null): unknown;
  /** The group's card of a task completed or reopened shows its new state (and next occurrence). */
  groupCardChanged(task: TaskView, next: TaskView | null): unknown;
  /** The card a group still shows of a task that left it is closed. */
  groupCardRetired(before: Pick<TaskView, "id" | "teamId" | "cardMessageId">): unknown;
}

/**
 * A task operation's context: the unit's transaction, time and actor, the task effects, and
 * what reading a task needs (sealed names, retention rules).
 */
export interface TaskOperation extends Operation<TaskEffects> {
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

// The API's schema and the stored shape of a rule are one: this fails to compile otherwise.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const rulesAgree: Same<z.infer<typeof repeatRuleSchema>, StoredRepeatRule> = true;
void rulesAgree;
