import postgres from "postgres";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTask, type NewTaskInput } from "#bot/tasks/core/create";
import type { TaskOperation } from "#bot/tasks/core/operation";
import { storedTaskFields } from "../helpers/tasks.ts";
import { ALICE, BOB, refusal as refused, STRANGER, TEAM, useCoreFixture } from "./core-fixture.ts";

const { db, clock, effects, op } = useCoreFixture();

let statements = 0;
/** The same database, with every statement sent counted. */
let counted: postgres.Sql;

beforeAll(async () => {
  counted = postgres(db.url, {
    max: 1,
    onnotice: () => {},
    transform: { column: { from: postgres.toCamel, to: postgres.fromCamel } },
    types: {
      bigint: {
        to: 20,
        from: [20],
        serialize: (value: number) => String(value),
        parse: (value: string) => Number(value),
      },
    },
    debug: () => {
      statements += 1;
    },
  });
  // The first connection reads PostgreSQL's array types once: not the operation's work.
  await counted`select 1`;
});

afterAll(async () => {
  await counted?.end();
});

// After the fixture's own beforeEach has seeded the people: only the operation counts.
beforeEach(() => {
  statements = 0;
});

/** An operation whose statements are counted. */
const countedOp = (userId: number): TaskOperation => ({ ...op(userId), db: counted });

async function refusal(userId: number, input: NewTaskInput) {
  const { kind, message } = await refused(createTask(op(userId), input));
  return { kind, message };
}

describe("createTask", () => {
  it("writes a team task with a rule and reminders in at most 3 statements", async () => {
    const task = await createTask(countedOp(ALICE), {
      title: "  Water the plants ",
      teamId: TEAM,
      assigneeId: BOB,
      due: { at: new Date("2026-11-30T08:00:00Z"), hasTime: true },
      repeat: { rule: { every: "week", weekdays: [1] }, time: null },
      reminders: [60, 15, 60],
    });
    expect(statements).toBeLessThanOrEqual(3);
    expect(task).toMatchObject({
      title: "Water the plants",
      teamId: TEAM,
      assigneeId: BOB,
      creatorId: ALICE,
      repeat: { every: "week", weekdays: [1] },
      repeatZone: "Europe/Berlin",
      seriesId: task.id,
      reminderOffsets: [15, 60],
      dueHasTime: true,
    });
    const reminders = await db.sql<{ offsetMinutes: number; remindAt: Date; state: string }[]>`
      select offset_minutes, remind_at, state from reminders where task_id = ${task.id}
      order by offset_minutes`;
    expect(reminders).toEqual([
      { offsetMinutes: 15, remindAt: new Date("2026-11-30T07:45:00Z"), state: "pending" },
      { offsetMinutes: 60, remindAt: new Date("2026-11-30T07:00:00Z"), state: "pending" },
    ]);
    expect(effects).toEqual([
      { effect: "taskEvent", task: task.id, event: "assigned", next: null },
    ]);
  });

  it("stores the title sealed and the creation time from the clock", async () => {
    const task = await createTask(op(ALICE), { title: "Private errand" });
    const [stored] = await storedTaskFields(
      db.sql,
      ["title", "teamId", "createdAt"],
      (sql) => sql`id = ${task.id}`,
    );
    expect(stored).toEqual({ title: "Private errand", teamId: null, createdAt: clock.now() });
    const [raw] = await db.sql<{ title: Buffer }[]>`select title from tasks where id = ${task.id}`;
    expect(raw?.title.toString("utf8")).not.toContain("Private errand");
  });

  it("starts a repeating task without a due date on the rule's first day", async () => {
    const task = await createTask(op(ALICE), {
      title: "Stand-up",
      repeat: { rule: { every: "weekday" }, time: { hour: 9, minute: 0 } },
    });
    expect(task.dueAt).not.toBeNull();
    expect(task.dueHasTime).toBe(true);
    expect(task.seriesId).toBe(task.id);
  });

  it("records a reminder whose time has passed as skipped", async () => {
    const task = await createTask(op(ALICE), {
      title: "Soon",
      due: { at: new Date("2026-11-28T10:10:00Z"), hasTime: true },
      reminders: [15, 0],
    });
    const rows = await db.sql<{ offsetMinutes: number; state: string }[]>`
      select offset_minutes, state from reminders where task_id = ${task.id} order by 1`;
    expect(rows).toEqual([
      { offsetMinutes: 0, state: "pending" },
      { offsetMinutes: 15, state: "skipped" },
    ]);
  });

  it("reminds at the due time unless told otherwise, and not at all when told none", async () => {
    const due = { at: new Date("2026-12-01T10:00:00Z"), hasTime: true };
    const plain = await createTask(op(ALICE), { title: "Default", due });
    const none = await createTask(op(ALICE), { title: "Quiet", due, reminders: [] });
    const rows = await db.sql<{ taskId: number; offsetMinutes: number }[]>`
      select task_id, offset_minutes from reminders where task_id in (${plain.id}, ${none.id})`;
    expect(rows).toEqual([{ taskId: plain.id, offsetMinutes: 0 }]);
    expect([plain.reminderOffsets, none.reminderOffsets]).toEqual([[0], []]);
  });

  it("refuses a team the creator is not a member of, as if it did not exist", async () => {
    expect(await refusal(STRANGER, { title: "Sneak in", teamId: TEAM })).toEqual({
      kind: "not_found",
      message: "No such team.",
    });
    expect(effects).toEqual([]);
  });

  it("refuses an assignee outside the team, and a stranger for a personal task", async () => {
    expect(await refusal(ALICE, { title: "x", teamId: TEAM, assigneeId: STRANGER })).toEqual({
      kind: "invalid",
      message: "not a member of that group.",
    });
    expect(await refusal(ALICE, { title: "x", assigneeId: STRANGER })).toEqual({
      kind: "invalid",
      message: "not you or someone who shares a group with you.",
    });
    const shared = await createTask(op(ALICE), { title: "For Bob", assigneeId: BOB });
    expect(shared.assigneeId).toBe(BOB);
  });

  it("refuses an empty or too long title, and a too long description", async () => {
    expect((await refusal(ALICE, { title: "   " })).message).toBe("The title must not be empty.");
    expect((await refusal(ALICE, { title: "a".repeat(201) })).message).toMatch(/too long/);
    expect((await refusal(ALICE, { title: "ok", description: "d".repeat(4001) })).message).toMatch(
      /description is too long/,
    );
  });

  it("refuses a due date more than a year in the past, but not one a day back", async () => {
    expect(
      await refusal(ALICE, {
        title: "Old",
        due: { at: new Date("2025-11-27T10:00:00Z"), hasTime: true },
      }),
    ).toEqual({ kind: "invalid", message: "That date is more than a year in the past." });
    const recent = await createTask(op(ALICE), {
      title: "Yesterday",
      due: { at: new Date("2026-11-27T10:00:00Z"), hasTime: false },
    });
    expect(recent.dueAt).toEqual(new Date("2026-11-27T10:00:00Z"));
  });

  it("refuses reminders without a due time, and offsets outside the menu", async () => {
    expect(
      await refusal(ALICE, {
        title: "No time",
        due: { at: new Date("2026-12-01T00:00:00Z"), hasTime: false },
        reminders: [15],
      }),
    ).toEqual({ kind: "invalid", message: "The task needs a due date and time to remind." });
    const odd = await refusal(ALICE, {
      title: "Odd",
      due: { at: new Date("2026-12-01T10:00:00Z"), hasTime: true },
      reminders: [7],
    });
    expect(odd.kind).toBe("invalid");
  });
});
