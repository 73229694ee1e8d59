import { beforeEach, describe, expect, it } from "vitest";
import { apiClient, taskCreator } from "#test/helpers/api";
import { useBotHarness } from "#test/helpers/bot";
import { storedTaskFields } from "#test/helpers/tasks";
import {
  alice,
  bob,
  carol,
  otherTeam,
  type TestChat,
  type TestUser,
  team,
} from "#test/helpers/updates";

const ADMIN: TestUser = { id: 9009, first_name: "Root" };
const h = useBotHarness({ env: { ADMIN_IDS: String(ADMIN.id) } });
const call = apiClient(h);
/** A group Alice is not in. */
const thirdTeam: TestChat = { id: -1005550000000, title: "Third team", type: "supergroup" };

// Team: Alice, Bob, the admin. Other team: the same and Carol. Third team: Bob, the admin.
beforeEach(async () => {
  for (const user of [alice, bob, ADMIN]) {
    await h.bot.send(h.updates.groupText(team, user, "hello"));
    await h.bot.send(h.updates.groupText(otherTeam, user, "hello"));
  }
  await h.bot.send(h.updates.groupText(otherTeam, carol, "hello"));
  for (const user of [bob, ADMIN]) await h.bot.send(h.updates.groupText(thirdTeam, user, "hi"));
});

const created = taskCreator(call);
const teamOf = async (id: number) => {
  const [row] = await h.sql<{ teamId: number | null }[]>`
    select team_id from tasks where id = ${id}`;
  return row?.teamId;
};
const MOVE_REFUSED = {
  error: {
    code: "forbidden",
    message: "Only the task's creator or an admin may move it to another group or out of one.",
  },
};

describe("moving a task with PATCH /api/tasks/:id {teamId}", () => {
  it("is refused to a member who did not create it, into another team or out of its own", async () => {
    const task = await created(alice, { title: "Team plan", teamId: team.id });
    for (const teamId of [otherTeam.id, null]) {
      const refused = await call(bob, "PATCH", `/api/tasks/${task.id}`, { json: { teamId } });
      expect(refused.status).toBe(403);
      expect(refused.body).toEqual(MOVE_REFUSED);
    }
    expect(await teamOf(task.id)).toBe(team.id);
    // Carol, in the other team only, still cannot see it.
    expect((await call(carol, "GET", `/api/tasks/${task.id}`)).status).toBe(404);
  });

  it("is refused to the assignee of someone's private task: it never reaches a group", async () => {
    const task = await created(alice, { title: "Just us", assigneeId: bob.id });
    const refused = await call(bob, "PATCH", `/api/tasks/${task.id}`, {
      json: { teamId: team.id, title: "Now public" },
    });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual(MOVE_REFUSED);
    const [row] = await storedTaskFields(h.sql, ["teamId", "title"], (sql) => sql`id = ${task.id}`);
    expect(row).toEqual({ teamId: null, title: "Just us" });
  });

  it("lets other members edit the rest when they send the team it already has", async () => {
    const task = await created(alice, { title: "Team plan", teamId: team.id });
    const edited = await call(bob, "PATCH", `/api/tasks/${task.id}`, {
      json: { teamId: team.id, title: "Team plan v2" },
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ teamId: team.id, title: "Team plan v2" });
  });

  it("lets the creator move it; the old card is closed in the old group, never edited in the new", async () => {
    await h.bot.send(h.updates.groupText(team, alice, "/newtask Order chairs"));
    const card = h.telegram.lastMessageTo(team.id);
    // A message of the new group with the same id as the old card: editing the old id
    // there would overwrite it.
    await h.bot.send(h.updates.groupText(otherTeam, alice, "/tasks"));
    const bystander = h.telegram.lastMessageTo(otherTeam.id);
    expect(bystander.message_id).toBe(card.message_id);
    const [row] = await h.sql<{ id: number }[]>`select id from tasks`;
    const id = row?.id ?? 0;

    const moved = await call(alice, "PATCH", `/api/tasks/${id}`, {
      json: { teamId: otherTeam.id, status: "done" },
    });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ teamId: otherTeam.id, status: "done" });

    const oldCardEdit = () =>
      h.telegram
        .callsOf("editMessageText")
        .find((c) => c.payload.chat_id === team.id && c.payload.message_id === card.message_id);
    await h.telegram.waitForCalls(() => oldCardEdit() !== undefined);
    expect(h.telegram.lastMessageTo(team.id).text).toBe(`#${id} was moved out of this group.`);
    expect(h.telegram.lastMessageTo(team.id).reply_markup).toBeUndefined();
    const editsInNewGroup = h.telegram
      .callsOf("editMessageText")
      .filter((c) => c.payload.chat_id === otherTeam.id);
    expect(editsInNewGroup).toEqual([]);
    expect(h.telegram.lastMessageTo(otherTeam.id).text).toBe(bystander.text);
    const [stored] = await h.sql`select team_id, card_message_id from tasks where id = ${id}`;
    expect(stored).toEqual({ teamId: otherTeam.id, cardMessageId: null });

    // The other team sees it now; the task's buttons in the old group no longer work there.
    expect((await call(carol, "GET", `/api/tasks/${id}`)).status).toBe(200);
  });

  it("lets the creator make a team task private, and refuses a team the creator is not in", async () => {
    const task = await created(alice, { title: "Mine after all", teamId: team.id });
    const refused = await call(alice, "PATCH", `/api/tasks/${task.id}`, {
      json: { teamId: thirdTeam.id },
    });
    expect(refused.status).toBe(404);
    const made = await call(alice, "PATCH", `/api/tasks/${task.id}`, { json: { teamId: null } });
    expect(made.status).toBe(200);
    expect(await teamOf(task.id)).toBeNull();
    expect((await call(bob, "GET", `/api/tasks/${task.id}`)).status).toBe(404);
  });

  it("lets an admin move it only into a team its creator belongs to", async () => {
    const task = await created(alice, { title: "Sort out", teamId: team.id });
    const refused = await call(ADMIN, "PATCH", `/api/tasks/${task.id}`, {
      json: { teamId: thirdTeam.id },
    });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({
      error: { code: "forbidden", message: "The task's creator is not a member of that group." },
    });
    expect(await teamOf(task.id)).toBe(team.id);
    const moved = await call(ADMIN, "PATCH", `/api/tasks/${task.id}`, {
      json: { teamId: otherTeam.id },
    });
    expect(moved.status).toBe(200);
    expect(await teamOf(task.id)).toBe(otherTeam.id);
    const madePrivate = await call(ADMIN, "PATCH", `/api/tasks/${task.id}`, {
      json: { teamId: null },
    });
    expect(madePrivate.body).toMatchObject({ teamId: null, creatorId: alice.id });
    expect((await call(ADMIN, "GET", `/api/tasks/${task.id}`)).status).toBe(404);
    expect((await call(alice, "GET", `/api/tasks/${task.id}`)).status).toBe(200);
  });
});
