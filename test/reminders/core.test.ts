import { describe, expect, it } from "vitest";
import {
  claimReminders,
  decideReminder,
  LATE_AFTER_MS,
  setQuietHours,
  snoozeReminder,
} from "#bot/reminders/core";
import { createTask } from "#bot/tasks/core/create";
import { ALICE, BOB, reader, remindersOf, TEAM, useCoreFixture } from "../tasks/core-fixture.ts";

const { db, clock, op } = useCoreFixture();

const MINUTE = 60_000;
const DUE = new Date("2026-11-29T15:00:00Z");

/** A task of Alice's due tomorrow 15:00 (UTC clock) with the reminder at its due time. */
async function dueTomorrow(input: { assigneeId?: number } = {}) {
  const task = await createTask(op(ALICE), {
    title: "Call the bank",
    teamId: input.assigneeId ? TEAM : null,
    assigneeId: input.assigneeId ?? null,
    due: { at: DUE, hasTime: true },
  });
  const [reminder] = await db.sql<{ id: number }[]>`
    select id from reminders where task_id = ${task.id}`;
  if (!reminder) throw new Error("no reminder");
  return { task, reminderId: reminder.id };
}

async function decideAll(now: Date) {
  return db.sql.begin(async (tx) => {
    const due = await claimReminders(tx, now, 10);
    const decisions = [];
    for (const reminder of due) decisions.push(await decideReminder(tx, reader, reminder, now));
    return decisions;
  });
}

describe("setQuietHours", () => {
  it("stores hours across midnight, and clears them with null", async () => {
    await setQuietHours(op(ALICE), { start: 22 * 60, end: 8 * 60 });
    const [set] = await db.sql`select quiet_start, quiet_end from users where id = ${ALICE}`;
    expect(set).toEqual({ quietStart: 1320, quietEnd: 480 });
    await setQuietHours(op(ALICE), null);
    const [cleared] = await db.sql`select quiet_start, quiet_end from users where id = ${ALICE}`;
    expect(cleared).toEqual({ quietStart: null, quietEnd: null });
  });

  it("refuses hours that end when they start or fall outside a day", async () => {
    for (const quiet of [
      { start: 480, end: 480 },
      { start: -1, end: 480 },
      { start: 0, end: 1440 },
      { start: 1.5, end: 480 },
    ]) {
      await expect(setQuietHours(op(ALICE), quiet)).rejects.toMatchObject({ kind: "invalid" });
    }
    const [row] = await db.sql`select quiet_start from users where id = ${ALICE}`;
    expect(row?.quietStart).toBeNull();
  });
});

describe("snoozeReminder", () => {
  it("sets the reminder off again in an hour, or this time tomorrow in the recipient's zone", async () => {
    const { task, reminderId } = await dueTomorrow();
    const now = new Date(DUE.getTime() + MINUTE);
    const hour = await snoozeReminder({ ...op(ALICE), now }, reminderId, "hour");
    expect(hour).toEqual({
      taskId: task.id,
      at: new Date(now.getTime() + 60 * MINUTE),
      timeZone: "Europe/Berlin",
    });
    expect(await remindersOf(db.sql, task.id)).toEqual([
      { offsetMinutes: 0, remindAt: hour.at, state: "pending" },
    ]);
    const tomorrow = await snoozeReminder({ ...op(ALICE), now }, reminderId, "tomorrow");
    expect(tomorrow.at).toEqual(new Date(now.getTime() + 24 * 60 * MINUTE));
  });

  it("lets only the recipient move it: the assignee, not the creator", async () => {
    const { task, reminderId } = await dueTomorrow({ assigneeId: BOB });
    await expect(snoozeReminder(op(ALICE), reminderId, "hour")).rejects.toMatchObject({
      kind: "forbidden",
      message: "This reminder is no longer yours to move.",
    });
    await expect(snoozeReminder(op(BOB), 999_999, "hour")).rejects.toMatchObject({
      kind: "forbidden",
    });
    expect((await remindersOf(db.sql, task.id))[0]?.remindAt).toEqual(DUE);
    expect((await snoozeReminder(op(BOB), reminderId, "hour")).taskId).toBe(task.id);
  });
});

describe("decideReminder", () => {
  it("sends a due reminder with its task to the creator of an unassigned task", async () => {
    const { task } = await dueTomorrow();
    expect(await decideAll(new Date(DUE.getTime() - MINUTE))).toEqual([]);
    const [decision] = await decideAll(DUE);
    expect(decision).toMatchObject({ kind: "send", recipientId: ALICE, task: { id: task.id } });
  });

  it("drops one more than ten minutes late, and skips a completed task's", async () => {
    const { task } = await dueTomorrow();
    const late = new Date(DUE.getTime() + LATE_AFTER_MS + MINUTE);
    expect(await decideAll(late)).toEqual([{ kind: "dropped" }]);
    expect((await remindersOf(db.sql, task.id))[0]?.state).toBe("dropped");

    const other = await dueTomorrow();
    await db.sql`update tasks set status = 'done', done_at = ${clock.now()} where id = ${other.task.id}`;
    expect(await decideAll(DUE)).toEqual([{ kind: "skipped" }]);
    expect((await remindersOf(db.sql, other.task.id))[0]?.state).toBe("skipped");
  });

  it("skips someone who never started the bot or blocked it", async () => {
    await dueTomorrow();
    await db.sql`update users set blocked_at = ${clock.now()} where id = ${ALICE}`;
    expect(await decideAll(DUE)).toEqual([{ kind: "skipped" }]);
  });

  it("moves one that falls in quiet hours to their end", async () => {
    const { task } = await dueTomorrow();
    // 15:00 UTC is 16:00 in Berlin: quiet from 15:30 to 18:00 there.
    await setQuietHours(op(ALICE), { start: 15 * 60 + 30, end: 18 * 60 });
    const until = new Date("2026-11-29T17:00:00Z");
    expect(await decideAll(DUE)).toEqual([{ kind: "postponed", until }]);
    expect(await remindersOf(db.sql, task.id)).toEqual([
      { offsetMinutes: 0, remindAt: until, state: "pending" },
    ]);
  });
});
