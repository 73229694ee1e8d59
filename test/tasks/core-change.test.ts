import { describe, expect, it } from "vitest";
import {
  changeTask,
  editTask,
  moveTask,
  rememberGroupCard,
  removeTask,
} from "#bot/tasks/core/change";
import { storedTaskFields } from "../helpers/tasks.ts";
import {
  ADMIN,
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

const teamOf = async (id: number) => {
  const [row] = await db.sql<
    { teamId: number | null }[]
  >`select team_id from tasks where id = ${id}`;
  return row?.teamId;
};

describe("editTask", () => {
  it("changes the fields it is given, sealing a new title, and tells a new assignee", async () => {
    const created = await task(ALICE, { title: "Draft", teamId: TEAM });
    clock.advance(60_000);
    const edited = await editTask(op(ALICE), created.id, {
      title: "Final",
      description: "With numbers",
      priority: "high",
      assigneeId: BOB,
      dueAt: new Date("2026-12-01T09:00:00Z"),
    });
    expect(edited).toMatchObject({
      title: "Final",
      description: "With numbers",
      priority: "high",
      assigneeId: BOB,
      dueAt: new Date("2026-12-01T09:00:00Z"),
      dueHasTime: true,
      updatedAt: clock.now(),
    });
    const [stored] = await storedTaskFields(
      db.sql,
      ["title", "assigneeId"],
      (sql) => sql`id = ${created.id}`,
    );
    expect(stored).toEqual({ title: "Final", assigneeId: BOB });
    expect(effects).toEqual([
      { effect: "taskEvent", task: created.id, event: "assigned", next: null },
      // The card shows the title, the assignee and the due date: it is redrawn.
      { effect: "groupCardChanged", task: created.id, next: null },
    ]);
  });

  it("lets any member edit a team task, tells nobody when the assignee stays", async () => {
    const created = await task(ALICE, { title: "Plan", teamId: TEAM, assigneeId: BOB });
    const edited = await editTask(op(BOB), created.id, { title: "Plan v2" });
    expect(edited.title).toBe("Plan v2");
    // Nobody is told; the group's card shows the new title.
    expect(effects).toEqual([{ effect: "groupCardChanged", task: created.id, next: null }]);
  });

  it("leaves the card alone when the change is one it does not show", async () => {
    const created = await task(ALICE, { title: "Plan", teamId: TEAM, assigneeId: BOB });
    await editTask(op(BOB), created.id, { description: "Slides first" });
    expect(effects).toEqual([]);
  });

  it("refuses an assignee outside the team and a stranger for a private task", async () => {
    const teamTask = await task(ALICE, { title: "Team", teamId: TEAM });
    expect(await refusal(editTask(op(ALICE), teamTask.id, { assigneeId: CAROL }))).toEqual({
      kind: "invalid",
      code: "invalid_input",
      message: "not a member of that group.",
    });
    const mine = await task(ALICE, { title: "Mine" });
    expect(await refusal(editTask(op(ALICE), mine.id, { assigneeId: STRANGER }))).toMatchObject({
      message: "not you or someone who shares a group with you.",
    });
    // Carol shares the other team with Alice: she may be given Alice's private task.
    expect((await editTask(op(ALICE), mine.id, { assigneeId: CAROL })).assigneeId).toBe(CAROL);
  });

  it("refuses a new due date more than a year back, but keeps an old one editable", async () => {
    const created = await task(ALICE, {
      title: "Taxes",
      due: { at: new Date("2026-03-01T09:00:00Z"), hasTime: true },
    });
    expect(
      await refusal(editTask(op(ALICE), created.id, { dueAt: new Date("2025-11-27T09:00:00Z") })),
    ).toEqual({
      kind: "invalid",
      code: "due_too_old",
      message: "That date is more than a year in the past.",
    });
    await db.sql`update tasks set due_at = '2025-01-01T09:00:00Z' where id = ${created.id}`;
    const kept = await editTask(op(ALICE), created.id, {
      dueAt: new Date("2025-01-01T09:00:00Z"),
      title: "Taxes 2025",
    });
    expect(kept).toMatchObject({ title: "Taxes 2025", dueAt: new Date("2025-01-01T09:00:00Z") });
  });

  it("refuses to clear the due date of a repeating task", async () => {
    const created = await task(ALICE, {
      title: "Daily",
      repeat: { rule: { every: "days", days: 1, from: "due" }, time: null },
    });
    const refused = await refusal(editTask(op(ALICE), created.id, { dueAt: null }));
    expect(refused).toMatchObject({ kind: "invalid" });
    expect(refused.message).toMatch(/^A repeating task needs a due date/);
    const [stored] = await storedTaskFields(db.sql, ["dueAt"], (sql) => sql`id = ${created.id}`);
    expect(stored?.dueAt).not.toBeNull();
  });
});

describe("moveTask", () => {
  it("is refused to a member who did not create it, into another team or out of its own", async () => {
    const created = await task(ALICE, { title: "Team plan", teamId: TEAM });
    for (const to of [OTHER_TEAM, null]) {
      expect(await refusal(moveTask(op(BOB), created.id, to))).toEqual({
        kind: "forbidden",
        code: "forbidden",
        message: "Only the task's creator or an admin may move it to another group or out of one.",
      });
    }
    expect(await teamOf(created.id)).toBe(TEAM);
  });

  it("is refused to the assignee of someone's private task", async () => {
    const created = await task(ALICE, { title: "Just us", assigneeId: BOB });
    expect((await refusal(moveTask(op(BOB), created.id, TEAM))).kind).toBe("forbidden");
    expect(await teamOf(created.id)).toBeNull();
  });

  it("answers a team the creator is not in as missing, and keeping the team is no move", async () => {
    const created = await task(ALICE, { title: "Plan", teamId: TEAM });
    await db.sql`insert into teams (id, title, updated_at) values (-100699, 'Third', now())`;
    expect(await refusal(moveTask(op(ALICE), created.id, -100699))).toMatchObject({
      kind: "not_found",
      message: "No such team.",
    });
    expect((await moveTask(op(BOB), created.id, TEAM)).teamId).toBe(TEAM);
    expect(effects).toEqual([]);
  });

  it("lets the creator move it: its card in the old group is retired and forgotten", async () => {
    const created = await task(ALICE, { title: "Order chairs", teamId: TEAM });
    await rememberGroupCard(op(ALICE), created, 77);
    const moved = await moveTask(op(ALICE), created.id, OTHER_TEAM);
    expect(moved).toMatchObject({ teamId: OTHER_TEAM, cardMessageId: null });
    expect(effects).toEqual([{ effect: "groupCardRetired", task: created.id, teamId: TEAM }]);
    const [stored] =
      await db.sql`select team_id, card_message_id from tasks where id = ${created.id}`;
    expect(stored).toEqual({ teamId: OTHER_TEAM, cardMessageId: null });
  });

  it("lets an admin move it only into a team its creator belongs to", async () => {
    const created = await task(ALICE, { title: "Sort out", teamId: TEAM });
    await db.sql`insert into team_members (team_id, user_id, joined_at) values (${TEAM}, ${ADMIN}, now())`;
    await db.sql`insert into teams (id, title, updated_at) values (-100699, 'Third', now())`;
    await db.sql`insert into team_members (team_id, user_id, joined_at) values (-100699, ${ADMIN}, now())`;
    expect(await refusal(moveTask(op(ADMIN), created.id, -100699))).toMatchObject({
      kind: "forbidden",
      message: "The task's creator is not a member of that group.",
    });
    await db.sql`insert into team_members (team_id, user_id, joined_at) values (${OTHER_TEAM}, ${ADMIN}, now())`;
    expect((await moveTask(op(ADMIN), created.id, OTHER_TEAM)).teamId).toBe(OTHER_TEAM);
    // Made private, it is the creator's again: the admin gets the answer but no longer sees it.
    expect((await moveTask(op(ADMIN), created.id, null)).teamId).toBeNull();
    expect((await refusal(moveTask(op(ADMIN), created.id, null))).kind).toBe("not_found");
  });

  it("refuses a move that would leave the assignee outside the new team", async () => {
    const created = await task(ALICE, { title: "Bob's", teamId: TEAM, assigneeId: BOB });
    expect(await refusal(moveTask(op(ALICE), created.id, OTHER_TEAM))).toMatchObject({
      kind: "invalid",
      message: "not a member of that group.",
    });
    expect(await teamOf(created.id)).toBe(TEAM);
  });
});

describe("removeTask", () => {
  it("lets only the creator or an admin delete a task", async () => {
    const created = await task(ALICE, { title: "Plan", teamId: TEAM });
    expect(await refusal(removeTask(op(BOB), created.id))).toEqual({
      kind: "forbidden",
      code: "forbidden",
      message: "Only the task's creator or an admin may delete it.",
    });
    expect((await refusal(removeTask(op(STRANGER), created.id))).kind).toBe("not_found");
    await db.sql`insert into team_members (team_id, user_id, joined_at) values (${TEAM}, ${ADMIN}, now())`;
    await removeTask(op(ADMIN), created.id);
    const mine = await task(ALICE, { title: "Mine" });
    await removeTask(op(ALICE), mine.id);
    const [count] = await db.sql<{ n: number }[]>`select count(*)::int as n from tasks`;
    expect(count?.n).toBe(0);
  });
});

describe("changeTask", () => {
  it("moves, reassigns and completes in one change, each told once", async () => {
    const created = await task(ALICE, { title: "All at once", teamId: TEAM });
    await rememberGroupCard(op(ALICE), created, 12);
    const changed = await changeTask(op(ALICE), created.id, {
      teamId: OTHER_TEAM,
      assigneeId: CAROL,
      status: "done",
    });
    expect(changed).toMatchObject({ teamId: OTHER_TEAM, assigneeId: CAROL, status: "done" });
    expect(effects).toEqual([
      { effect: "groupCardRetired", task: created.id, teamId: TEAM },
      { effect: "taskEvent", task: created.id, event: "assigned", next: null },
      { effect: "groupCardChanged", task: created.id, next: null },
      { effect: "taskEvent", task: created.id, event: "done", next: null },
    ]);
  });

  it("changes nothing when one of the changes is refused", async () => {
    const created = await task(ALICE, { title: "Keep", teamId: TEAM });
    await refusal(changeTask(op(ALICE), created.id, { title: "Lost", assigneeId: STRANGER }));
    expect((await storedTaskFields(db.sql, ["title"]))[0]).toEqual({ title: "Keep" });
  });

  it("sets reminders with a due time, and refuses them without one", async () => {
    const created = await task(ALICE, { title: "Dated" });
    expect(await refusal(changeTask(op(ALICE), created.id, { reminders: [15] }))).toMatchObject({
      kind: "invalid",
      message: "The task needs a due date and time to remind.",
    });
    const changed = await changeTask(op(ALICE), created.id, {
      dueAt: new Date("2026-12-01T09:00:00Z"),
      reminders: [60, 15],
    });
    expect(changed.reminderOffsets).toEqual([15, 60]);
  });
});
