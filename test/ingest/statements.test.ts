import { describe, expect, it } from "vitest";
import { createTestBot, giveConsent, type TestBot, useBotHarness } from "#test/helpers/bot";
import { useCountedSql } from "#test/helpers/counted-sql";
import { alice, bob, team } from "#test/helpers/updates";

/**
 * Statements each kind of update costs once the people involved are known to the process
 * (the steady state of a busy bot), counted at postgres.js's debug hook. The bounds are the
 * counts reached; a change that adds a round trip fails here.
 */
const h = useBotHarness();
const counted = useCountedSql(() => h.url);

async function countedBot(): Promise<TestBot> {
  // The harness's own outbox delivery after each update is not the update's work.
  const bot = createTestBot({
    sql: counted.sql,
    telegram: h.telegram,
    clock: h.bot.clock,
    outboxSql: h.sql,
  });
  // The first connection reads PostgreSQL's array types once: not an update's work.
  await counted.sql`select 1`;
  return bot;
}

async function cost(bot: TestBot, update: Parameters<TestBot["send"]>[0]): Promise<number> {
  const before = counted.count();
  await bot.send(update);
  return counted.count() - before;
}

describe("statements per update", () => {
  it("stay within the counts reached for chatter (alone and ten together), /tasks, a Done button and a one-line /newtask", async () => {
    await giveConsent(h, alice);
    const bot = await countedBot();
    // Warm the process's caches: both people, the group, the memberships.
    await bot.send(h.updates.groupText(team, alice, "morning"));
    await bot.send(h.updates.groupText(team, bob, "hi"));
    await bot.send(h.updates.groupText(team, alice, "/tasks"));

    const counts = {
      chatter: await cost(bot, h.updates.groupText(team, alice, "the deploy is green")),
      tasks: await cost(bot, h.updates.groupText(team, alice, "/tasks")),
      newtask: await cost(bot, h.updates.groupText(team, alice, "/newtask Renew the certificate")),
      done: 0,
      tenChatterTogether: 0,
    };
    const [task] = await h.sql<{ id: number }[]>`select id from tasks`;
    const card = h.telegram.lastMessageTo(team.id);
    counts.done = await cost(bot, h.updates.callback(bob, `t:s:${task?.id}:d`, card));
    const before = counted.count();
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        bot.send(h.updates.groupText(team, i % 2 === 0 ? alice : bob, `note ${i}`)),
      ),
    );
    counts.tenChatterTogether = counted.count() - before;
    console.info("statements per update", counts);

    expect(counts.chatter).toBeLessThanOrEqual(5);
    // BEGIN, claim, the list, its reply into the outbox, COMMIT.
    expect(counts.tasks).toBeLessThanOrEqual(5);
    expect(counts.newtask).toBeLessThanOrEqual(8);
    // Its notice to the task's creator and the card's redraw go to the outbox in its transaction.
    expect(counts.done).toBeLessThanOrEqual(8);
    // One batch: BEGIN, locks, claim, messages, COMMIT, whatever its size.
    expect(counts.tenChatterTogether).toBeLessThanOrEqual(5);
  });
});
