import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { createTestBot, useBotHarness } from "#test/helpers/bot";
import { pressOn } from "#test/helpers/buttons";
import { tooManyRequests } from "#test/helpers/fake-telegram";
import { storedTasks } from "#test/helpers/tasks";
import { alice, bob, team } from "#test/helpers/updates";

const h = useBotHarness();

const taskTitles = async () => (await storedTasks(h.sql)).map((r) => r.title);

describe("exactly once, in order", () => {
  it("processes a redelivered update once", async () => {
    const update = h.updates.privateText(alice, "/newtask Water the plants");
    await h.bot.send(update);
    await h.bot.send(update);
    expect(await taskTitles()).toEqual(["Water the plants"]);
    expect(h.telegram.callsOf("sendMessage")).toHaveLength(1);
  });

  it("processes a duplicate delivered concurrently to two instances once", async () => {
    const other = createTestBot({ sql: h.sql, telegram: h.telegram });
    const update = h.updates.groupText(team, alice, "/newtask Book the room");
    await Promise.all([h.bot.send(update), other.send(update), h.bot.send(update)]);
    expect(await taskTitles()).toEqual(["Book the room"]);
  });

  it("handles two updates of one chat delivered at once one after the other, in order", async () => {
    const other = createTestBot({ sql: h.sql, telegram: h.telegram });
    const batch = Array.from({ length: 6 }, (_, i) =>
      h.updates.groupText(team, alice, `/newtask Step ${i + 1}`),
    );
    // Alternate instances so both the in-process queue and the database lock are exercised.
    await Promise.all(batch.map((update, i) => (i % 2 === 0 ? h.bot : other).send(update)));
    const titles = await taskTitles();
    expect(titles.sort()).toEqual(["Step 1", "Step 2", "Step 3", "Step 4", "Step 5", "Step 6"]);
    // Within one instance, arrival order is kept.
    const fromFirst = titles.filter((t) => ["Step 1", "Step 3", "Step 5"].includes(t));
    expect(fromFirst).toEqual(["Step 1", "Step 3", "Step 5"]);
  });

  it("never loses or repeats a conversation step when answers arrive concurrently", async () => {
    await h.bot.send(h.updates.privateText(alice, "/newtask"));
    const other = createTestBot({ sql: h.sql, telegram: h.telegram });
    const title = h.updates.privateText(alice, "Prepare the demo");
    const description = h.updates.privateText(alice, "With the new dashboard");
    await Promise.all([h.bot.send(title), other.send(title), h.bot.send(description)]);
    const questions = h.telegram.textsTo(alice.id);
    expect(questions.filter((t) => t.startsWith("Add a description"))).toHaveLength(1);
    expect(questions.filter((t) => t.startsWith("Who should do it?"))).toHaveLength(1);
  });
});

describe("errors", () => {
  it("apologises, logs the update id without personal data, and ends the form cleanly", async () => {
    await h.bot.send(h.updates.privateText(bob, "/start"));
    await h.bot.send(h.updates.privateText(alice, "/newtask"));
    await h.bot.send(h.updates.privateText(alice, "Secret launch plan"));
    await h.bot.send(h.updates.privateText(alice, "Codename bluebird"));
    // The assignee step reads memberships; a broken table makes that step throw.
    await h.sql`alter table team_members rename to team_members_gone`;
    try {
      await h.bot.send(h.updates.privateText(alice, "@bobby"));
    } finally {
      await h.sql`alter table team_members_gone rename to team_members`;
    }
    expect(h.telegram.textsTo(alice.id).at(-1)).toBe(
      "Sorry, something went wrong on my side. Please try again.",
    );
    const failure = h.bot.logs.lines().find((line) => line.msg === "update handler failed");
    expect(failure?.updateId).toEqual(expect.any(Number));
    const raw = h.bot.logs.raw();
    for (const secret of ["Secret launch plan", "Codename bluebird", "alice", String(alice.id)]) {
      expect(raw).not.toContain(secret);
    }
    expect((await h.sql`select 1 from conversations`).length).toBe(0);

    // The bot keeps running, and the chat is not locked.
    await h.bot.send(h.updates.privateText(alice, "/newtask Next one"));
    expect(await taskTitles()).toEqual(["Next one"]);
  });

  it("keeps nothing of a handler that failed half-way, says nothing of it, and apologises", async () => {
    // The task's row is written, then the next statement fails: the update must leave no trace.
    await h.sql`
      create function refuse_task() returns trigger language plpgsql as $$
      begin raise exception 'refused for the test'; end $$`;
    await h.sql`
      create trigger refuse_task after insert on tasks
      for each row execute function refuse_task()`;
    try {
      await h.bot.send(h.updates.groupText(team, alice, "/newtask Half done"));
    } finally {
      await h.sql`drop trigger refuse_task on tasks`;
      await h.sql`drop function refuse_task`;
    }
    expect(await taskTitles()).toEqual([]);
    // No card for a task that does not exist: only the apology reached the group.
    expect(h.telegram.textsTo(team.id)).toEqual([
      "Sorry, something went wrong on my side. Please try again.",
    ]);
    const processed = await h.sql`select 1 from processed_updates`;
    expect(processed.length).toBe(1);
  });
});

describe("blocked users", () => {
  it("marks a user who blocked the bot and stops notifying them until they write again", async () => {
    await h.bot.send(h.updates.privateText(bob, "/start"));
    await h.bot.send(h.updates.groupText(team, bob, "hi"));
    h.telegram.blockChat(bob.id);
    await h.bot.send(h.updates.groupText(team, alice, "/newtask First @bobby"));
    const [marked] = await h.sql<
      { blockedAt: Date | null }[]
    >`select blocked_at from users where id = ${bob.id}`;
    expect(marked?.blockedAt).toBeInstanceOf(Date);

    const attempts = h.telegram
      .callsOf("sendMessage")
      .filter((c) => c.payload.chat_id === bob.id).length;
    await h.bot.send(h.updates.groupText(team, alice, "/newtask Second @bobby"));
    expect(
      h.telegram.callsOf("sendMessage").filter((c) => c.payload.chat_id === bob.id),
    ).toHaveLength(attempts);

    h.telegram.clear();
    await h.bot.send(h.updates.privateText(bob, "/tasks"));
    await h.bot.send(h.updates.groupText(team, alice, "/newtask Third @bobby"));
    expect(h.telegram.textsTo(bob.id).at(-1)).toMatch(/^Alice assigned you a task:/);
  });
});

describe("rate limit", () => {
  it("drops a user's updates over 5 per 3 s and says so once", async () => {
    const limited = createTestBot({
      sql: h.sql,
      telegram: h.telegram,
      rateLimit: { limit: 5, windowMs: 3000 },
    });
    for (let i = 1; i <= 8; i++)
      await limited.send(h.updates.privateText(alice, `/newtask Flood ${i}`));
    expect(await taskTitles()).toEqual(["Flood 1", "Flood 2", "Flood 3", "Flood 4", "Flood 5"]);
    const notices = h.telegram.textsTo(alice.id).filter((t) => t.startsWith("Slow down"));
    expect(notices).toHaveLength(1);
    // Other users are not affected.
    await limited.send(h.updates.privateText(bob, "/newtask Mine"));
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
      const first = createTestBot({ sql: h.sql, telegram: h.telegram, rateLimit: limit });
      const second = createTestBot({ sql: h.sql, telegram: h.telegram, rateLimit: limit });
      for (let i = 1; i <= 8; i++) {
        await (i % 2 === 0 ? first : second).send(
          h.updates.privateText(user, `/newtask Shared ${i}`),
        );
      }
      expect(await taskTitles()).toHaveLength(5);
      expect(h.telegram.textsTo(user.id).filter((t) => t.startsWith("Slow down"))).toHaveLength(1);
    } finally {
      redis.disconnect();
    }
  });
});

describe("outgoing calls", () => {
  it("finish a button's update while Telegram has not answered its callback answer, holding no transaction", async () => {
    await h.bot.send(h.updates.privateText(alice, "/newtask Patient task"));
    const gate = h.telegram.holdAnswers((call) => call.method === "answerCallbackQuery");
    // The update is done (committed, its slot and chat free) before Telegram answers.
    await h.bot.app.bot.handleUpdate(pressOn(h.telegram, h.updates, alice, alice.id, "Done"));
    await h.telegram.waitForCalls(() => gate.held().length === 1);
    const open = await h.sql`
      select 1 from pg_stat_activity
      where datname = current_database() and xact_start is not null and pid <> pg_backend_pid()`;
    expect(open).toEqual([]);
    expect((await storedTasks(h.sql)).map((task) => task.status)).toEqual(["done"]);
    gate.open();
    await h.bot.app.background.idle();
    await h.bot.drain();
    expect(h.telegram.lastMessageTo(alice.id).text).toMatch(/^✅ #\d+ <b>Patient task<\/b>/);
  });

  it("answers a button once the update has committed, retried after Telegram's 429", async () => {
    await h.bot.send(h.updates.privateText(alice, "/newtask Patient task"));
    h.telegram.failNext("answerCallbackQuery", tooManyRequests(1));
    await h.bot.send(pressOn(h.telegram, h.updates, alice, alice.id, "Done"));
    const answers = h.telegram.callsOf("answerCallbackQuery");
    expect(answers.map((call) => call.response?.ok)).toEqual([false, true]);
    expect(h.telegram.lastMessageTo(alice.id).text).toMatch(/^✅ #\d+ <b>Patient task<\/b>/);
  });
});
