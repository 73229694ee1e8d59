import { describe, expect, it } from "vitest";
import { setTaskStatus } from "#bot/tasks/core/change";
import { visibleTask } from "#bot/tasks/core/visibility";
import { storedTaskFields } from "../helpers/tasks.ts";
import {
  ALICE,
  BOB,
  CAROL,
  OTHER_TEAM,
  refusal,
  STRANGER,
  TEAM,
  useCoreFixture,
} from "./core-fixture.ts";

const { db, clock, effects, op, task } = useCoreFixture();

describe("setTaskStatus", () => {
  it("completes a task, stores when, and tells the people on it and the group's card", async () => {
    const created = await task(ALICE, { title: "Order chairs", teamId: TEAM, assigneeId: BOB });
    clock.advance(60_000);
    const done = await setTaskStatus(op(BOB), created.id, "done");
    expect(done).toMatchObject({ changed: true, next: null });
    expect(done.task).toMatchObject({ status: "done", doneAt: clock.now() });
    const [stored] = await storedTaskFields(
      db.sql,
      ["status", "doneAt"],
      (sql) => sql`id = ${created.id}`,
    );
    expect(stored).toEqual({ status: "done", doneAt: clock.now() });
    expect(effects).toEqual([
      { effect: "groupCardChanged", task: created.id, next: null },
      { effect: "taskEvent", task: created.id, event: "done", next: null },
    ]);
  });

  it("changes nothing and tells nobody on a double tap", async () => {
    const created = await task(ALICE, { title: "Twice", teamId: TEAM });
    await setTaskStatus(op(ALICE), created.id, "done");
    const firstDoneAt = clock.now();
    effects.length = 0;
    clock.advance(5_000);
    const again = await setTaskStatus(op(BOB), created.id, "done");
    expect(again).toMatchObject({ changed: false, next: null, task: { status: "done" } });
    expect(again.task.doneAt).toEqual(firstDoneAt);
    expect(effects).toEqual([]);
  });

  it("reopens a done task, clearing when it was done", async () => {
    const created = await task(ALICE, { title: "Back again" });
    await setTaskStatus(op(ALICE), created.id, "done");
    effects.length = 0;
    const reopened = await setTaskStatus(op(ALICE), created.id, "open");
    expect(reopened.task).toMatchObject({ status: "open", doneAt: null });
    expect(effects).toEqual([
      { effect: "groupCardChanged", task: created.id, next: null },
      { effect: "taskEvent", task: created.id, event: "reopened", next: null },
    ]);
  });

  it("continues a repeating task's series once, however often it is completed", async () => {
    const created = await task(ALICE, {
      title: "Water the plants",
      due: { at: new Date("2026-11-30T08:00:00Z"), hasTime: true },
      repeat: { rule: { every: "week", weekdays: [1] }, time: null },
      reminders: [15],
    });
    const done = await setTaskStatus(op(ALICE), created.id, "done");
    expect(done.next).toMatchObject({
      status: "open",
      title: "Water the plants",
      dueAt: new Date("2026-12-07T08:00:00Z"),
      seriesId: created.id,
      reminderOffsets: [15],
    });
    expect(done.task.nextId).toBe(done.next?.id);
    expect(effects).toContainEqual({
      effect: "taskEvent",
      task: created.id,
      event: "done",
      next: done.next?.id ?? null,
    });

    await setTaskStatus(op(ALICE), created.id, "open");
    const again = await setTaskStatus(op(ALICE), created.id, "done");
    // The task still points at the occurrence it made; no second one is made.
    expect(again.task.nextId).toBe(done.next?.id);
    const [count] = await db.sql<{ n: number }[]>`select count(*)::int as n from tasks`;
    expect(count?.n).toBe(2);
  });

  it("answers a task the actor may not see as missing, and changes nothing", async () => {
    const teamTask = await task(ALICE, { title: "Team only", teamId: TEAM });
    const privateTask = await task(ALICE, { title: "Mine" });
    for (const [actor, id] of [
      [CAROL, teamTask.id],
      [STRANGER, teamTask.id],
      [BOB, privateTask.id],
    ] as const) {
      expect(await refusal(setTaskStatus(op(actor), id, "done"))).toEqual({
        kind: "not_found",
        code: "not_found",
        message: "No such task.",
      });
    }
    expect(await refusal(setTaskStatus(op(ALICE), 999_999, "done"))).toMatchObject({
      kind: "not_found",
    });
    const rows = await storedTaskFields(db.sql, ["status"]);
    expect(rows).toEqual([{ status: "open" }, { status: "open" }]);
    expect(effects).toEqual([]);
  });

  it("shows a group only its own team's tasks, never a private one", async () => {
    const privateTask = await task(ALICE, { title: "Mine" });
    const otherTask = await task(ALICE, { title: "Other", teamId: OTHER_TEAM });
    const inTeam = { kind: "team", teamId: TEAM } as const;
    for (const id of [privateTask.id, otherTask.id]) {
      expect((await refusal(setTaskStatus(op(ALICE), id, "done", inTeam))).kind).toBe("not_found");
    }
    // The same tasks from Alice's private chat.
    expect((await visibleTask(op(ALICE), otherTask.id)).id).toBe(otherTask.id);
    expect((await setTaskStatus(op(ALICE), privateTask.id, "done")).changed).toBe(true);
  });

  it("lets the assignee of a private task see it, and a member who left no longer", async () => {
    const shared = await task(ALICE, { title: "For Bob", assigneeId: BOB });
    expect((await visibleTask(op(BOB), shared.id)).id).toBe(shared.id);
    const teamTask = await task(ALICE, { title: "Team", teamId: TEAM });
    await db.sql`delete from team_members where team_id = ${TEAM} and user_id = ${BOB}`;
    expect((await refusal(visibleTask(op(BOB), teamTask.id))).kind).toBe("not_found");
  });
});
