import { describe, expect, it } from "vitest";
import {
  changeTask,
  setReminders,
  setRepeat,
  setTaskStatus,
  skipOccurrence,
  toggleReminder,
} from "#bot/tasks/core/change";
import type { ParsedRepeat } from "#bot/tasks/recurring/parse";
import { storedTaskFields } from "../helpers/tasks.ts";
import {
  ALICE,
  BOB,
  refusal,
  remindersOf,
  STRANGER,
  TEAM,
  useCoreFixture,
} from "./core-fixture.ts";

const { db, clock, effects, op, task } = useCoreFixture();

const weekly: ParsedRepeat = { rule: { every: "week", weekdays: [5] }, time: null };

describe("setRepeat", () => {
  it("makes an open task repeat from its due date, in the actor's zone", async () => {
    const created = await task(ALICE, {
      title: "Pay rent",
      due: { at: new Date("2026-12-04T09:00:00Z"), hasTime: true },
    });
    const { task: repeating, previous } = await setRepeat(op(ALICE), created.id, weekly);
    expect(previous).toBeNull();
    expect(repeating).toMatchObject({
      dueAt: new Date("2026-12-04T09:00:00Z"),
      repeat: { every: "week", weekdays: [5] },
      repeatZone: "Europe/Berlin",
      seriesId: created.id,
    });
    expect(effects).toEqual([]);
  });

  it("starts a task without a due date on the rule's first day, at the rule's time", async () => {
    const created = await task(BOB, { title: "Stand-up" });
    const { task: repeating } = await setRepeat(op(BOB), created.id, {
      rule: { every: "weekday" },
      time: { hour: 9, minute: 30 },
    });
    expect(repeating).toMatchObject({
      dueAt: new Date("2026-11-30T09:30:00Z"),
      dueHasTime: true,
      repeatZone: "UTC",
    });
  });

  it("reads a rule against the task's due date when handed a reader", async () => {
    const created = await task(ALICE, {
      title: "Invoice",
      due: { at: new Date("2026-12-15T00:00:00Z"), hasTime: false },
    });
    const seen: Array<Date | null> = [];
    const { task: repeating } = await setRepeat(op(ALICE), created.id, (dueAt) => {
      seen.push(dueAt);
      return { rule: { every: "month", day: 15 }, time: null };
    });
    expect(seen).toEqual([new Date("2026-12-15T00:00:00Z")]);
    expect(repeating.repeat).toEqual({ every: "month", day: 15 });
  });

  it("stops a rule with null, keeping the due date", async () => {
    const created = await task(ALICE, {
      title: "Water",
      due: { at: new Date("2026-12-04T09:00:00Z"), hasTime: true },
      repeat: weekly,
    });
    const { task: stopped, previous } = await setRepeat(op(ALICE), created.id, null);
    expect(previous).toEqual({ every: "week", weekdays: [5] });
    expect(stopped).toMatchObject({ repeat: null, dueAt: new Date("2026-12-04T09:00:00Z") });
  });

  it("refuses to change or stop the rule of a done task, in the chat and the API alike", async () => {
    const created = await task(ALICE, {
      title: "Done once",
      due: { at: new Date("2026-12-04T09:00:00Z"), hasTime: true },
      repeat: weekly,
    });
    await setTaskStatus(op(ALICE), created.id, "done");
    const done = {
      kind: "conflict",
      code: "task_done",
      message: `#${created.id} is done. Reopen it to make it repeat.`,
    };
    expect(await refusal(setRepeat(op(ALICE), created.id, null))).toEqual(done);
    expect(
      await refusal(setRepeat(op(ALICE), created.id, { rule: { every: "weekday" }, time: null })),
    ).toEqual(done);
    expect(await refusal(changeTask(op(ALICE), created.id, { repeat: null }))).toEqual(done);
    const [stored] = await storedTaskFields(db.sql, ["repeat"], (sql) => sql`id = ${created.id}`);
    expect(stored).toEqual({ repeat: { every: "week", weekdays: [5] } });
    // Reopened in the same change, its rule may change.
    const reopened = await changeTask(op(ALICE), created.id, { status: "open", repeat: null });
    expect(reopened).toMatchObject({ status: "open", repeat: null });
  });

  it("answers a task the actor may not see as missing", async () => {
    const created = await task(ALICE, { title: "Mine" });
    expect((await refusal(setRepeat(op(STRANGER), created.id, weekly))).kind).toBe("not_found");
  });
});

describe("skipOccurrence", () => {
  it("moves an open repeating task and its reminders to the next date, completing nothing", async () => {
    const created = await task(ALICE, {
      title: "Team lunch",
      due: { at: new Date("2026-12-04T12:30:00Z"), hasTime: true },
      repeat: weekly,
      reminders: [0, 60],
    });
    clock.advance(60_000);
    const skipped = await skipOccurrence(op(ALICE), created.id);
    expect(skipped).toMatchObject({
      status: "open",
      doneAt: null,
      nextId: null,
      dueAt: new Date("2026-12-11T12:30:00Z"),
    });
    expect(await remindersOf(db.sql, created.id)).toEqual([
      { offsetMinutes: 0, remindAt: new Date("2026-12-11T12:30:00Z"), state: "pending" },
      { offsetMinutes: 60, remindAt: new Date("2026-12-11T11:30:00Z"), state: "pending" },
    ]);
    expect(effects).toEqual([]);
  });

  it("is only for an open repeating task", async () => {
    const plain = await task(ALICE, { title: "Once" });
    const notRepeating = {
      kind: "conflict",
      code: "not_repeating",
      message: "Only an open repeating task can skip a date.",
    };
    expect(await refusal(skipOccurrence(op(ALICE), plain.id))).toEqual(notRepeating);
    const done = await task(ALICE, {
      title: "Done",
      due: { at: new Date("2026-12-04T12:30:00Z"), hasTime: true },
      repeat: weekly,
    });
    await setTaskStatus(op(ALICE), done.id, "done");
    expect(await refusal(skipOccurrence(op(ALICE), done.id))).toEqual(notRepeating);
    expect((await refusal(skipOccurrence(op(BOB), plain.id))).kind).toBe("not_found");
  });
});

describe("reminders", () => {
  const due = { at: new Date("2026-12-01T10:00:00Z"), hasTime: true };

  it("sets exactly the offsets asked, recording one whose moment has passed as skipped", async () => {
    const created = await task(ALICE, {
      title: "Soon",
      due: { at: new Date("2026-11-28T10:10:00Z"), hasTime: true },
    });
    const set = await setReminders(op(ALICE), created.id, [15, 0, 15]);
    expect(set.reminderOffsets).toEqual([0, 15]);
    expect((await remindersOf(db.sql, created.id)).map((r) => [r.offsetMinutes, r.state])).toEqual([
      [0, "pending"],
      [15, "skipped"],
    ]);
    await setReminders(op(ALICE), created.id, []);
    expect(await remindersOf(db.sql, created.id)).toEqual([]);
  });

  it("needs a due time, and offsets from the menu", async () => {
    const dayOnly = await task(ALICE, {
      title: "Some day",
      due: { at: new Date("2026-12-01T00:00:00Z"), hasTime: false },
    });
    expect(await refusal(setReminders(op(ALICE), dayOnly.id, [15]))).toMatchObject({
      kind: "invalid",
      message: "The task needs a due date and time to remind.",
    });
    const timed = await task(ALICE, { title: "Timed", due });
    expect((await refusal(setReminders(op(ALICE), timed.id, [7]))).kind).toBe("invalid");
    expect((await refusal(setReminders(op(STRANGER), timed.id, [15]))).kind).toBe("not_found");
  });

  it("toggles one reminder of an open task with a due time", async () => {
    const created = await task(ALICE, { title: "Toggle", teamId: TEAM, due });
    const on = await toggleReminder(op(BOB), created.id, 15);
    expect(on).toMatchObject({ offset: 15, on: true, task: { reminderOffsets: [0, 15] } });
    const off = await toggleReminder(op(BOB), created.id, 0);
    expect(off).toMatchObject({ offset: 0, on: false, task: { reminderOffsets: [15] } });
    expect((await remindersOf(db.sql, created.id)).map((r) => r.offsetMinutes)).toEqual([15]);
  });

  it("treats a toggle on a done task, a task without a time or an unknown offset as stale", async () => {
    const created = await task(ALICE, { title: "Stale", due });
    const stale = {
      kind: "conflict",
      code: "stale_button",
      message: "This button no longer works.",
    };
    expect(await refusal(toggleReminder(op(ALICE), created.id, 7))).toEqual(stale);
    await setTaskStatus(op(ALICE), created.id, "done");
    expect(await refusal(toggleReminder(op(ALICE), created.id, 15))).toEqual(stale);
    const undated = await task(ALICE, { title: "Undated" });
    expect(await refusal(toggleReminder(op(ALICE), undated.id, 15))).toEqual(stale);
    expect((await remindersOf(db.sql, created.id)).map((r) => r.offsetMinutes)).toEqual([0]);
  });
});
