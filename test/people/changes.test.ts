import { afterEach, describe, expect, it } from "vitest";
import { PRIVACY_POLICY_VERSION } from "#bot/privacy/policy";
import { initDataFor } from "#test/helpers/api";
import { createTestBot, giveConsent, type TestBot, useBotHarness } from "#test/helpers/bot";
import { pressOn } from "#test/helpers/buttons";
import { alice, type TestUser, team } from "#test/helpers/updates";

/**
 * Two instances of the service on one database: `h.bot` (A) and `second()` (B). Each keeps
 * per-process caches of people; a change committed on one must reach the other's at once.
 */
const h = useBotHarness();
const started: TestBot[] = [];

async function second(): Promise<TestBot> {
  const bot = createTestBot({ sql: h.sql, telegram: h.telegram, clock: h.bot.clock });
  await bot.app.people.listen();
  started.push(bot);
  return bot;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((bot) => bot.app.people.stop()));
});

/** Waits until every change committed so far has reached `bot`'s caches. */
const caughtUp = (bot: TestBot) => bot.app.people.caughtUp();

async function api(bot: TestBot, user: TestUser, method: string, path: string, json?: unknown) {
  const authDate = new Date(bot.clock.now().getTime() - 60_000);
  const response = await bot.app.http.request(path, {
    method,
    headers: {
      authorization: `tma ${initDataFor(user, authDate)}`,
      ...(json === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  });
  const text = await response.text();
  return { status: response.status, text };
}

/**
 * The instance that makes a change must not depend on its own notification's timing: with
 * its listener stopped, only forgetting right after the commit can pass.
 */
const deaf = (bot: TestBot) => bot.app.people.stop();

const say = (bot: TestBot, text: string) => bot.send(h.updates.groupText(team, alice, text));

async function storedFromAlice(): Promise<number> {
  const [row] = await h.sql<{ count: number }[]>`
    select count(*)::int as count from messages where author_id = ${alice.id}`;
  return row?.count ?? 0;
}

async function eraseInChat(bot: TestBot) {
  await bot.send(h.updates.privateText(alice, "/delete"));
  await bot.send(pressOn(h.telegram, h.updates, alice, alice.id, "Delete everything"));
  expect(await h.sql`select 1 from users where id = ${alice.id}`).toHaveLength(0);
}

describe("erasure on one surface, then the other", () => {
  it("after /delete in the chat, the Mini App on every instance starts Alice afresh", async () => {
    const b = await second();
    await say(h.bot, "hello");
    // Both instances have seen Alice's profile through the Mini App.
    expect((await api(b, alice, "POST", "/api/tasks", { title: "Before" })).status).toBe(201);
    expect((await api(h.bot, alice, "POST", "/api/tasks", { title: "Before" })).status).toBe(201);

    await eraseInChat(h.bot);
    await caughtUp(b);

    const onB = await api(b, alice, "POST", "/api/tasks", { title: "After, on B" });
    expect(onB.status, onB.text).toBe(201);
    const onA = await api(h.bot, alice, "POST", "/api/tasks", { title: "After, on A" });
    expect(onA.status, onA.text).toBe(201);
    expect(await h.sql`select id from users where id = ${alice.id}`).toEqual([{ id: alice.id }]);
    expect(
      await h.sql`select count(*)::int as n from tasks where creator_id = ${alice.id}`,
    ).toEqual([{ n: 2 }]);
  });

  it("after /delete in the chat, the same instance's Mini App starts Alice afresh at once", async () => {
    await deaf(h.bot);
    expect((await api(h.bot, alice, "POST", "/api/tasks", { title: "Before" })).status).toBe(201);
    await eraseInChat(h.bot);
    const after = await api(h.bot, alice, "POST", "/api/tasks", { title: "After" });
    expect(after.status, after.text).toBe(201);
  });

  it("after erasure in the Mini App, the bot on another instance starts Alice afresh", async () => {
    const b = await second();
    await say(h.bot, "hello");
    const erased = await api(b, alice, "DELETE", "/api/me", { confirm: "DELETE" });
    expect(erased.status, erased.text).toBe(200);
    await caughtUp(h.bot);

    await say(h.bot, "/newtask Water the plants");
    expect(h.telegram.lastMessageTo(team.id).text).toContain("Water the plants");
    expect(await h.sql`select creator_id from tasks`).toEqual([{ creatorId: alice.id }]);
    // She writes in the group, so she is one of its members again.
    expect(await h.sql`select team_id from team_members where user_id = ${alice.id}`).toEqual([
      { teamId: team.id },
    ]);
  });

  it("after erasure in the Mini App, the same instance's bot starts Alice afresh at once", async () => {
    await deaf(h.bot);
    await say(h.bot, "hello");
    const erased = await api(h.bot, alice, "DELETE", "/api/me", { confirm: "DELETE" });
    expect(erased.status, erased.text).toBe(200);

    await say(h.bot, "/newtask Water the plants");
    expect(await h.sql`select creator_id from tasks`).toEqual([{ creatorId: alice.id }]);
  });
});

describe("consent from the Mini App", () => {
  it("records the next group message handled by another instance", async () => {
    const b = await second();
    await say(h.bot, "not recorded: no consent yet");
    const given = await api(b, alice, "PUT", "/api/me/consent", { granted: true });
    expect(given.status, given.text).toBe(200);
    await caughtUp(h.bot);

    await say(h.bot, "recorded");
    expect(await storedFromAlice()).toBe(1);
  });

  it("records the next group message on the same instance at once", async () => {
    await deaf(h.bot);
    await say(h.bot, "not recorded: no consent yet");
    expect((await api(h.bot, alice, "PUT", "/api/me/consent", { granted: true })).status).toBe(200);
    await say(h.bot, "recorded");
    expect(await storedFromAlice()).toBe(1);
  });

  it("stops recording on another instance once withdrawn", async () => {
    const b = await second();
    await giveConsent(h, alice);
    await say(h.bot, "recorded");
    const withdrawn = await api(b, alice, "PUT", "/api/me/consent", { granted: false });
    expect(withdrawn.status, withdrawn.text).toBe(200);
    await caughtUp(h.bot);

    await say(h.bot, "not recorded: withdrawn");
    expect(await storedFromAlice()).toBe(1);
  });
});

describe("a time zone set in the Mini App", () => {
  const dueOfOnlyTask = async () => {
    const [task] = await h.sql<{ dueAt: Date }[]>`select due_at from tasks`;
    return task?.dueAt.toISOString();
  };

  it("reads the next group task's due time on another instance", async () => {
    const b = await second();
    await say(h.bot, "hello");
    const set = await api(b, alice, "PATCH", "/api/me", { timezone: "Europe/Kyiv" });
    expect(set.status, set.text).toBe(200);
    await caughtUp(h.bot);

    await say(h.bot, "/newtask Call the bank tomorrow 09:00");
    expect(await dueOfOnlyTask()).toBe("2026-11-29T07:00:00.000Z");
  });

  it("reads the next group task's due time on the same instance at once", async () => {
    await deaf(h.bot);
    await say(h.bot, "hello");
    expect((await api(h.bot, alice, "PATCH", "/api/me", { timezone: "Europe/Kyiv" })).status).toBe(
      200,
    );
    await say(h.bot, "/newtask Call the bank tomorrow 09:00");
    expect(await dueOfOnlyTask()).toBe("2026-11-29T07:00:00.000Z");
  });
});

describe("group membership", () => {
  it("after Alice leaves through another instance, her next message makes her a member again", async () => {
    const b = await second();
    await say(h.bot, "hello");
    await b.send(h.updates.memberLeft(team, alice));
    expect(await h.sql`select 1 from team_members where user_id = ${alice.id}`).toHaveLength(0);
    await caughtUp(h.bot);

    // Back in the group (the join itself was not seen), she writes again.
    await say(h.bot, "I'm back");
    expect(await h.sql`select team_id from team_members where user_id = ${alice.id}`).toEqual([
      { teamId: team.id },
    ]);
  });
});

describe("the listening connection", () => {
  it("forgets everyone when it reconnects, since it may have missed changes", async () => {
    await say(h.bot, "not recorded: no consent yet");
    // A change this instance is never told about, as if made while it was disconnected:
    // replica mode skips the announcing trigger for this transaction only.
    await h.sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`update users set consent_version = ${PRIVACY_POLICY_VERSION} where id = ${alice.id}`;
    });
    await say(h.bot, "not recorded: the cache still says no");
    expect(await storedFromAlice()).toBe(0);

    const reconnected = h.bot.app.people.nextListen();
    const killed = await h.sql`
      select pg_terminate_backend(pid) from pg_stat_activity
      where datname = current_database() and query ilike 'listen %'`;
    expect(killed).toHaveLength(1);
    await reconnected;

    await say(h.bot, "recorded");
    expect(await storedFromAlice()).toBe(1);
  });
});
