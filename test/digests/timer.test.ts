import { describe, expect, it, vi } from "vitest";
import { createTestBot, type TestBot, useBotHarness } from "#test/helpers/bot";
import { alice, type TestUser, team } from "#test/helpers/updates";

const ADMIN: TestUser = { id: 9009, first_name: "Root" };
const h = useBotHarness({ env: { ADMIN_IDS: String(ADMIN.id) } });

// Set before 09:00 UTC, so today's digest is still to come.
const MORNING = new Date("2026-11-28T07:00:00Z");
const NINE = new Date("2026-11-28T09:00:00Z");

const digestsIn = (chatId: number) =>
  h.telegram.textsTo(chatId).filter((text) => text.startsWith("📋"));

/** The service's own delivery, as start() runs it: the digest timer and the outbox sender. */
async function startDelivery(bot: TestBot = h.bot): Promise<void> {
  await bot.app.outbox.start();
  await bot.app.digestTimer.start();
}

async function teamDigestAtNine(): Promise<void> {
  h.bot.clock.set(MORNING);
  for (const user of [alice, ADMIN]) await h.bot.send(h.updates.groupText(team, user, "hi"));
  await h.bot.send(h.updates.groupText(team, ADMIN, "/digest 09:00"));
  h.telegram.clear();
}

describe("the digest timer", () => {
  it("posts a team's digest once the clock reaches its time, not before, then waits for tomorrow", async () => {
    await teamDigestAtNine();
    await startDelivery();
    expect(await h.bot.app.digestTimer.wake()).toEqual(NINE);

    h.bot.clock.set(new Date(NINE.getTime() - 1000));
    expect(await h.bot.app.digestTimer.wake()).toEqual(NINE);
    expect(await h.sql`select last_sent_on from digests`).toEqual([{ lastSentOn: null }]);
    expect(digestsIn(team.id)).toEqual([]);

    // No wake: the timer naps at most until the moment it waits for, then reads the clock.
    h.bot.clock.set(NINE);
    await vi.waitFor(() => expect(digestsIn(team.id)).toHaveLength(1), { timeout: 5000 });
    expect(digestsIn(team.id)[0]).toContain("Team digest");
    expect(await h.bot.app.digestTimer.wake()).toEqual(new Date("2026-11-29T09:00:00Z"));
    expect(digestsIn(team.id)).toHaveLength(1);
  });

  it("is re-armed when another instance sets an earlier digest, in its owner's zone", async () => {
    await teamDigestAtNine();
    await startDelivery();
    expect(await h.bot.app.digestTimer.wake()).toEqual(NINE);

    // 10:30 in Kyiv (UTC+2) is 08:30 UTC.
    const other = createTestBot({ sql: h.sql, telegram: h.telegram, clock: h.bot.clock });
    await other.send(h.updates.privateText(alice, "/timezone Europe/Kyiv"));
    await other.send(h.updates.privateText(alice, "/digest me 10:30"));
    h.telegram.clear();
    const HALF_PAST_EIGHT = new Date("2026-11-28T08:30:00Z");
    // Told by the database (LISTEN/NOTIFY), not by the test.
    await vi.waitFor(() => expect(h.bot.app.digestTimer.armedFor()).toEqual(HALF_PAST_EIGHT));

    h.bot.clock.set(HALF_PAST_EIGHT);
    expect(await h.bot.app.digestTimer.wake()).toEqual(NINE);
    await vi.waitFor(() => expect(digestsIn(alice.id)).toHaveLength(1));
    expect(digestsIn(team.id)).toEqual([]);

    h.bot.clock.set(NINE);
    await h.bot.app.digestTimer.wake();
    await vi.waitFor(() => expect(digestsIn(team.id)).toHaveLength(1));
  });

  it("posts a digest once when two instances reach its time together", async () => {
    await teamDigestAtNine();
    const other = createTestBot({ sql: h.sql, telegram: h.telegram, clock: h.bot.clock });
    try {
      await startDelivery();
      await startDelivery(other);
      h.bot.clock.set(NINE);
      await Promise.all([h.bot.app.digestTimer.wake(), other.app.digestTimer.wake()]);
      await vi.waitFor(async () => {
        expect(await h.sql`select id from outbox`).toEqual([]);
        expect(await h.sql`select last_sent_on::text as day from digests`).toEqual([
          { day: "2026-11-28" },
        ]);
      });
      expect(digestsIn(team.id)).toHaveLength(1);
    } finally {
      await other.app.digestTimer.stop();
      await other.app.outbox.stop();
    }
  });
});
