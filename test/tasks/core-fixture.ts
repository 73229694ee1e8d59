import { beforeEach } from "vitest";
import { DomainError } from "#bot/lib/errors";
import { createTask, type NewTaskInput } from "#bot/tasks/core/create";
import type { TaskEffects, TaskEvent, TaskOperation, TaskView } from "#bot/tasks/core/operation";
import { addMember, upsertTeam } from "#db/teams";
import { upsertUser } from "#db/users";
import { createVault } from "#db/vault";
import { FakeClock } from "../helpers/clock.ts";
import { emptyTables, useTestDatabase } from "../helpers/db.ts";
import { TEST_SECRETS } from "../helpers/secrets.ts";

/**
 * What the task core tests share: a database of their own, a fixed clock, four people (Alice
 * and Bob in TEAM, Carol in OTHER_TEAM with Alice, a stranger, an admin) and operations
 * whose effects are recorded instead of sent. No Telegram, no HTTP.
 */

export const ALICE = 601;
export const BOB = 602;
export const CAROL = 603;
export const STRANGER = 604;
export const ADMIN = 605;
export const TEAM = -100601;
export const OTHER_TEAM = -100602;

export const vault = createVault(TEST_SECRETS.encryptionKeys, TEST_SECRETS.hashSecret);
export const reader = {
  vault,
  retention: { rules: { defaultDays: 90, minDays: 1, maxDays: 3650 } },
};

export type Recorded =
  | { effect: "taskEvent"; task: number; event: TaskEvent; next: number | null }
  | { effect: "groupCardChanged"; task: number; next: number | null }
  | { effect: "groupCardRetired"; task: number; teamId: number | null };

export function useCoreFixture() {
  const db = useTestDatabase();
  const clock = new FakeClock("2026-11-28T10:00:00Z");
  const effects: Recorded[] = [];

  const recording: TaskEffects = {
    taskEvent: (task, event, next) =>
      effects.push({ effect: "taskEvent", task: task.id, event, next: next?.id ?? null }),
    groupCardChanged: (task, next) =>
      effects.push({ effect: "groupCardChanged", task: task.id, next: next?.id ?? null }),
    groupCardRetired: (before) =>
      effects.push({ effect: "groupCardRetired", task: before.id, teamId: before.teamId }),
  };

  const op = (userId: number): TaskOperation => ({
    db: db.sql,
    now: clock.now(),
    actor: { userId, isAdmin: userId === ADMIN },
    reader,
    effects: recording,
  });

  async function seed() {
    const now = clock.now();
    for (const [id, firstName] of [
      [ALICE, "Alice"],
      [BOB, "Bob"],
      [CAROL, "Carol"],
      [STRANGER, "Stranger"],
      [ADMIN, "Admin"],
    ] as const) {
      await upsertUser(
        db.sql,
        vault,
        { id, firstName, lastName: null, username: null, languageCode: null },
        true,
        now,
      );
    }
    await db.sql`update users set timezone = 'Europe/Berlin' where id = ${ALICE}`;
    await upsertTeam(db.sql, { id: TEAM, title: "Team" }, now);
    await upsertTeam(db.sql, { id: OTHER_TEAM, title: "Other team" }, now);
    for (const id of [ALICE, BOB]) await addMember(db.sql, TEAM, id, now);
    for (const id of [ALICE, CAROL]) await addMember(db.sql, OTHER_TEAM, id, now);
  }

  beforeEach(async () => {
    clock.set("2026-11-28T10:00:00Z");
    await emptyTables(db.sql);
    await seed();
    effects.length = 0;
  });

  /** Creates a task as `userId` and forgets the effects creating it left. */
  async function task(userId: number, input: NewTaskInput): Promise<TaskView> {
    const created = await createTask(op(userId), input);
    effects.length = 0;
    return created;
  }

  return { db, clock, effects, op, task };
}

/** The domain error an operation throws, as kind, code and message; fails when none is thrown. */
export async function refusal(operation: Promise<unknown>) {
  try {
    await operation;
  } catch (error) {
    if (error instanceof DomainError) {
      return { kind: error.kind, code: error.code, message: error.message };
    }
    throw error;
  }
  throw new Error("the operation was not refused");
}

/** The reminders stored for a task, in offset order. */
export async function remindersOf(sql: ReturnType<typeof useTestDatabase>["sql"], taskId: number) {
  return sql<{ offsetMinutes: number; remindAt: Date; state: string }[]>`
    select offset_minutes, remind_at, state from reminders where task_id = ${taskId}
    order by offset_minutes`;
}
