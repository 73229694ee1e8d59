import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestBot, type TestBot } from "#test/helpers/bot";
import { useTestDatabase } from "#test/helpers/db";
import { type FakeTelegram, startFakeTelegram } from "#test/helpers/fake-telegram";
import { alice, bob, makeUpdates, team } from "#test/helpers/updates";

const db = useTestDatabase();
let telegram: FakeTelegram;
let bot: TestBot;
let updates: ReturnType<typeof makeUpdates>;

beforeAll(async () => {
  telegram = await startFakeTelegram();
});
afterAll(async () => {
  await telegram.close();
});
beforeEach(async () => {
  await db.sql`truncate tasks, conversations, team_members, teams, users, processed_updates`;
  telegram.clear();
  bot = createTestBot({ sql: db.sql, telegram });
  updates = makeUpdates();
});

const taskTitles = async () =>
  (await db.sql<{ title: string }[]>`select title from tasks order by id`).map((r) => r.title);

describe("exactly once, in order", () => {
  it("processes a redelivered update once", async () => {
    const update = updates.privateText(alice, "/newtask Water the plants");
    await bot.send(update);
    await bot.send(update);
    expect(await taskTitles()).toEqual(["Water the plants"]);
    expect(telegram.callsOf("sendMessage")).toHaveLength(1);
  });

  it("processes a duplicate delivered concurrently to two instances once", async () => {
    const other = createTestBot({ sql: db.sql, telegram });
    const update = updates.groupText(team, alice, "/newtask Book the room");
    await Promise.all([bot.send(update), other.send(update), bot.send(update)]);
    expect(await taskTitles()).toEqual(["Book the room"]);
  });

  it("handles two updates of one chat delivered at once one after the other, in order", async () => {
    const other = createTestBot({ sql: db.sql, telegram });
    const batch = Array.from({ length: 6 }, (_, i) =>
      updates.groupText(team, alice, `/newtask Step ${i + 1}`),
    );
    // Alternate instances so both the in-process queue and the database lock are exercised.
    await Promise.all(batch.map((update, i) => (i % 2 === 0 ? bot : other).send(update)));
    const titles = await taskTitles();
    expect(titles.sort()).toEqual(["Step 1", "Step 2", "Step 3", "Step 4", "Step 5", "Step 6"]);
    // Within one instance, arrival order is kept.
    const fromFirst = titles.filter((t) => ["Step 1", "Step 3", "Step 5"].includes(t));
    expect(fromFirst).toEqual(["Step 1", "Step 3", "Step 5"]);
  });

  it("never loses or repeats a conversation step when answers arrive concurrently", async () => {
    await bot.send(updates.privateText(alice, "/newtask"));
    const other = createTestBot({ sql: db.sql, telegram });
    const title = updates.privateText(alice, "Prepare the demo");
    const description = updates.privateText(alice, "With the new dashboard");
    await Promise.all([bot.send(title), other.send(title), bot.send(description)]);
    const questions = telegram.textsTo(alice.id);
    expect(questions.filter((t) => t.startsWith("Add a description"))).toHaveLength(1);
    expect(questions.filter((t) => t.startsWith("Who should do it?"))).toHaveLength(1);
  });
});

describe("errors", () => {
  it("apologises, logs the update id without personal data, and ends the form cleanly", async () => {
    await bot.send(updates.privateText(bob, "/start"));
    await bot.send(updates.privateText(alice, "/newtask"));
    await bot.send(updates.privateText(alice, "Secret launch plan"));
    await bot.send(updates.privateText(alice, "Codename bluebird"));
    // The assignee step reads memberships; a broken table makes that step throw.
    await db.sql`alter table team_members rename to team_members_gone`;
    try {
      await bot.send(updates.privateText(alice, "@bobby"));
    } finally {
      await db.sql`alter table team_members_gone rename to team_members`;
    }
    expect(telegram.textsTo(alice.id).at(-1)).toBe(
      "Sorry, something went wrong on my side. Please try again.",
    );
    const failure = bot.logs.lines().find((line) => line.msg === "update handler failed");
    expect(failure?.updateId).toEqual(expect.any(Number));
    const raw = bot.logs.raw();
    for (const secret of ["Secret launch plan", "Codename bluebird", "alice", String(alice.id)]) {
      expect(raw).not.toContain(secret);
    }
    expect((await db.sql`select 1 from conversations`).length).toBe(0);

    // The bot keeps running, and the chat is not locked.
    await bot.send(updates.privateText(alice, "/newtask Next one"));
    expect(await taskTitles()).toEqual(["Next one"]);
  });

  it("keeps nothing of a handler that failed half-way", async () => {
    telegram.failNext("sendMessage", {
      error_code: 400,
      description: "Bad Request: chat not found",
    });
    await bot.send(updates.groupText(team, alice, "/newtask Half done"));
    expect(await taskTitles()).toEqual([]);
    const processed = await db.sql`select 1 from processed_updates`;
    expect(processed.length).toBe(1);
  });
});

describe("blocked users", () => {
  it("marks a user who blocked the bot and stops notifying them until they write again", async () => {
    await bot.send(updates.privateText(bob, "/start"));
    await bot.send(updates.groupText(team, bob, "hi"));
    telegram.blockChat(bob.id);
    await bot.send(updates.groupText(team, alice, "/newtask First @bobby"));
    const [marked] = await db.sql<
      { blockedAt: Date | null }[]
    >`select blocked_at from users where id = ${bob.id}`;
    expect(marked?.blockedAt).toBeInstanceOf(Date);

    const attempts = telegram
      .callsOf("sendMessage")
      .filter((c) => c.payload.chat_id === bob.id).length;
    await bot.send(updates.groupText(team, alice, "/newtask Second @bobby"));
    expect(
      telegram.callsOf("sendMessage").filter((c) => c.payload.chat_id === bob.id),
    ).toHaveLength(attempts);

    telegram.clear();
    await bot.send(updates.privateText(bob, "/tasks"));
    await bot.send(updates.groupText(team, alice, "/newtask Third @bobby"));
    expect(telegram.textsTo(bob.id).at(-1)).toMatch(/^Alice assigned you a task:/);
  });
});

describe("rate limit", () => {
  it("drops a user's updates over 5 per 3 s and says so once", async () => {
    const limited = createTestBot({
      sql: db.sql,
      telegram,
      rateLimit: { limit: 5, windowMs: 3000 },
    });
    for (let i = 1; i <= 8; i++)
      await limited.send(updates.privateText(alice, `/newtask Flood ${i}`));
    expect(await taskTitles()).toEqual(["Flood 1", "Flood 2", "Flood 3", "Flood 4", "Flood 5"]);
    const notices = telegram.textsTo(alice.id).filter((t) => t.startsWith("Slow down"));
    expect(notices).toHaveLength(1);
    // Other users are not affected.
    await limited.send(updates.privateText(bob, "/newtask Mine"));
    expect(await taskTitles()).toContain("Mine");
  });
});

describe("rate limit shared through Redis", () => {
  it("counts one user's updates across two instances as one limit", async () => {
    const redis = new Redis("redis://127.0.0.1:6379", { lazyConnect: true });
    await redis.connect();
    // A user id of our own, so parallel runs do not share counters.
    const user = { ...alice, id: 5_000_000 + Math.floor(Math.random() * 1_000_000) };
    try {
      const limit = { limit: 5, windowMs: 3000, store: redis };
      const first = createTestBot({ sql: db.sql, telegram, rateLimit: limit });
      const second = createTestBot({ sql: db.sql, telegram, rateLimit: limit });
      for (let i = 1; i <= 8; i++) {
        await (i % 2 === 0 ? first : second).send(
          updates.privateText(user, `/newtask Shared ${i}`),
        );
      }
      expect(await taskTitles()).toHaveLength(5);
      expect(telegram.textsTo(user.id).filter((t) => t.startsWith("Slow down"))).toHaveLength(1);
    } finally {
      redis.disconnect();
    }
  });
});
