import { describe, expect, it } from "vitest";
import { setTaskStatus } from "#bot/tasks/core/change";
import { listChatTasks, listTasks } from "#bot/tasks/core/list";
import { ALICE, BOB, CAROL, OTHER_TEAM, refusal, TEAM, useCoreFixture } from "./core-fixture.ts";

const { db, op, task } = useCoreFixture();

describe("listChatTasks", () => {
  it("shows a group its own team's tasks and a private chat the user's, newest first", async () => {
    const teamTask = await task(ALICE, { title: "Team", teamId: TEAM });
    const otherTask = await task(ALICE, { title: "Other", teamId: OTHER_TEAM, assigneeId: CAROL });
    const mine = await task(ALICE, { title: "Mine" });
    const forBob = await task(ALICE, { title: "Bob's", assigneeId: BOB });
    const ids = async (userId: number, chat: Parameters<typeof listChatTasks>[1]) =>
      (
        await listChatTasks(op(userId), chat, { status: "open", page: 0, pageSize: 10 })
      ).page.tasks.map((t) => t.id);
    expect(await ids(BOB, { kind: "team", teamId: TEAM })).toEqual([teamTask.id]);
    expect(await ids(ALICE, { kind: "private" })).toEqual([
      forBob.id,
      mine.id,
      otherTask.id,
      teamTask.id,
    ]);
    expect(await ids(BOB, { kind: "private" })).toEqual([forBob.id]);
    // Carol left the other team: its task she is assigned to leaves her list.
    await db.sql`delete from team_members where team_id = ${OTHER_TEAM} and user_id = ${CAROL}`;
    expect(await ids(CAROL, { kind: "private" })).toEqual([]);
  });

  it("shows the new last page when the asked one no longer exists", async () => {
    for (let i = 0; i < 3; i++) await task(ALICE, { title: `Task ${i}` });
    const listed = await listChatTasks(
      op(ALICE),
      { kind: "private" },
      {
        status: "open",
        page: 5,
        pageSize: 2,
      },
    );
    expect(listed.pageNumber).toBe(1);
    expect(listed.page).toMatchObject({ total: 3 });
    expect(listed.page.tasks.map((t) => t.title)).toEqual(["Task 0"]);
  });

  it("lists done tasks most recently completed first", async () => {
    const first = await task(ALICE, { title: "First" });
    const second = await task(ALICE, { title: "Second" });
    await setTaskStatus(op(ALICE), second.id, "done");
    await setTaskStatus({ ...op(ALICE), now: new Date("2026-11-28T11:00:00Z") }, first.id, "done");
    const listed = await listChatTasks(
      op(ALICE),
      { kind: "private" },
      {
        status: "done",
        page: 0,
        pageSize: 10,
      },
    );
    expect(listed.page.tasks.map((t) => t.id)).toEqual([first.id, second.id]);
  });
});

describe("listTasks", () => {
  it("answers a team the actor is not in as missing", async () => {
    expect(
      await refusal(
        listTasks(op(BOB), {
          teamId: OTHER_TEAM,
          status: "open",
          assignedToMe: false,
          beforeId: null,
          limit: 10,
        }),
      ),
    ).toMatchObject({ kind: "not_found", message: "No such team." });
  });

  it("pages by id and filters what is assigned to the actor", async () => {
    const a = await task(ALICE, { title: "A", teamId: TEAM });
    const b = await task(ALICE, { title: "B", teamId: TEAM, assigneeId: BOB });
    const c = await task(ALICE, { title: "C", teamId: TEAM });
    const query = {
      teamId: TEAM,
      status: "open",
      assignedToMe: false,
      beforeId: null,
      limit: 2,
    } as const;
    const first = await listTasks(op(BOB), query);
    expect(first.tasks.map((t) => t.id)).toEqual([c.id, b.id]);
    expect(first.more).toBe(true);
    const rest = await listTasks(op(BOB), { ...query, beforeId: b.id });
    expect(rest).toMatchObject({ more: false });
    expect(rest.tasks.map((t) => t.id)).toEqual([a.id]);
    const mine = await listTasks(op(BOB), { ...query, assignedToMe: true });
    expect(mine.tasks.map((t) => t.id)).toEqual([b.id]);
    expect(mine.sourceOf(b)).toBeUndefined();
  });
});
