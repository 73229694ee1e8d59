import { beforeEach, describe, expect, it } from "vitest";
import { purgeExpired } from "#bot/retention/core/purge";
import { useBotHarness } from "#test/helpers/bot";
import { pressOn } from "#test/helpers/buttons";
import { purgeDeps, TEST_RETENTION } from "#test/helpers/retention";
import { storedTaskFields } from "#test/helpers/tasks";
import { alice, bob, carol, makeUpdates, type TestChat } from "#test/helpers/updates";

const ADMIN = carol;
const h = useBotHarness({ env: { ADMIN_IDS: String(ADMIN.id) } });
const team: TestChat = { id: -1001000000001, title: "Alpha", type: "supergroup" };
const DAY = 24 * 60 * 60 * 1000;

let u = makeUpdates();
beforeEach(() => {
  u = makeUpdates({ now: () => h.bot.clock.now() });
});

/** A task made by replying /task to a message Bob sent `age` days ago; returns its card text. */
async function taskFromMessageAged(age: number): Promise<string> {
  const now = h.bot.clock.now();
  h.bot.clock.set(new Date(now.getTime() - age * DAY));
  const source = u.groupText(team, bob, "Order more coffee beans");
  await h.bot.send(source);
  h.bot.clock.set(now);
  if (!source.message) throw new Error("no message");
  await h.bot.send(u.groupText(team, bob, "/task", { replyTo: source.message }));
  return h.telegram.lastMessageTo(team.id).text ?? "";
}

async function onlyTaskId(): Promise<number> {
  const [row] = await h.sql<{ id: number }[]>`select id from tasks`;
  if (!row) throw new Error("no task");
  return row.id;
}

describe("a task's source message", () => {
  it("links to the message while it is within the period", async () => {
    const card = await taskFromMessageAged(10);
    expect(card).toContain("Order more coffee beans");
    expect(card).toContain("source message");
    expect(card).not.toContain("expired");
  });

  it("shows as expired once its period has passed, before and after the purge", async () => {
    await taskFromMessageAged(80);
    h.bot.clock.advance(11 * DAY);
    await h.bot.send(u.groupText(team, bob, `/done ${await onlyTaskId()}`));
    const card = h.telegram.lastMessageTo(team.id).text ?? "";
    expect(card).toContain("Order more coffee beans");
    expect(card).toContain("↪ source message expired");
    expect(card).not.toContain("t.me/c/");

    await purgeExpired(purgeDeps(h.sql, h.bot.clock, TEST_RETENTION), {
      trigger: "schedule",
      actor: null,
    });
    await h.bot.send(pressOn(h.telegram, u, bob, team.id, "Reopen"));
    const reopened = h.telegram.lastMessageTo(team.id).text ?? "";
    expect(reopened).toContain("↪ source message expired");
    const [task] = await storedTaskFields(h.sql, ["title", "sourceMessageId"]);
    expect(task).toEqual({ title: "Order more coffee beans", sourceMessageId: null });
  });

  it("follows the group's own period", async () => {
    await taskFromMessageAged(80);
    await h.bot.send(u.groupText(team, ADMIN, "/retention 30"));
    await h.bot.send(pressOn(h.telegram, u, ADMIN, team.id, "Shorten"));
    await h.bot.send(u.groupText(team, bob, `/done ${await onlyTaskId()}`));
    expect(h.telegram.lastMessageTo(team.id).text).toContain("↪ source message expired");
  });
});

describe("the privacy notice", () => {
  it("states the period that applies: the group's own in a group, the global one in private", async () => {
    await h.bot.send(u.groupText(team, alice, "hello"));
    await h.bot.send(u.groupText(team, ADMIN, "/retention 400"));
    await h.bot.send(u.groupText(team, alice, "/privacy"));
    expect(h.telegram.lastMessageTo(team.id).text).toContain(
      "Group messages are deleted 400 days after they were sent",
    );
    await h.bot.send(u.privateText(alice, "/privacy"));
    expect(h.telegram.lastMessageTo(alice.id).text).toContain(
      "Group messages are deleted 90 days after they were sent",
    );
  });
});
