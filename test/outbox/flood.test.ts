import { afterEach, describe, expect, it, vi } from "vitest";
import { TELEGRAM_LIMITS } from "#bot/outbox/budgets";
import { createTestBot, giveConsent, type TestBot, useBotHarness } from "#test/helpers/bot";
import { tooManyRequests } from "#test/helpers/fake-telegram";
import { alice, carol, type TestUser, team } from "#test/helpers/updates";

/**
 * The stall the outbox ends: Telegram tells the replies of 30 chats to wait 6 s. Updates
 * are done once committed, so a 31st chat is answered within a second and the groups'
 * chatter is recorded meanwhile; the 30 replies follow once the wait is over, each once.
 */
const h = useBotHarness();
let service: TestBot | undefined;

afterEach(async () => {
  await service?.app.outbox.stop();
  service = undefined;
});

const waiting: TestUser[] = Array.from({ length: 30 }, (_, i) => ({
  id: 3_000 + i,
  first_name: `Waiting ${i}`,
  language_code: "en",
}));

const queued = async () => (await h.sql`select 1 from outbox`).length;
const storedInTeam = async () =>
  (await h.sql`select 1 from messages where chat_id = ${team.id}`).length;

describe("a flood of 429s", () => {
  it("answers an unaffected chat within a second and records chatter while 30 chats wait; then each of the 30 once", async () => {
    await giveConsent(h, alice);
    await h.bot.send(h.updates.groupText(team, alice, "morning"));
    const recordedBefore = await storedInTeam();
    h.telegram.clear();
    service = createTestBot({
      sql: h.sql,
      telegram: h.telegram,
      clock: h.bot.clock,
      throttle: true,
      outboxLimits: TELEGRAM_LIMITS,
    });
    const bot = service;
    await bot.app.outbox.start();
    for (const user of waiting) {
      h.telegram.failNext("sendMessage", tooManyRequests(6), { chatId: user.id });
    }

    for (const user of waiting) {
      await bot.app.bot.handleUpdate(h.updates.privateText(user, "/help"));
    }
    await h.telegram.waitForCalls(
      (calls) => calls.filter((call) => call.response?.ok === false).length === 30,
    );
    // Every update finished without Telegram's answer; the clock has not moved.
    await bot.app.bot.handleUpdate(h.updates.privateText(carol, "/help"));
    await bot.app.bot.handleUpdate(h.updates.groupText(team, alice, "the deploy is green"));
    expect(await storedInTeam()).toBe(recordedBefore + 1);

    // 30 messages went out this second (Telegram's overall limit): Carol's goes the next.
    h.bot.clock.advance(1000);
    bot.app.outbox.wake();
    await h.telegram.waitForCalls(() => h.telegram.textsTo(carol.id).length === 1);
    expect(h.telegram.textsTo(carol.id)[0]).toContain("/newtask");
    for (const user of waiting) expect(h.telegram.textsTo(user.id)).toEqual([]);
    // A send counts from Telegram's answer: the clock moves on once the sender has it.
    await vi.waitFor(async () => expect(await queued()).toBe(waiting.length), { timeout: 5000 });

    h.bot.clock.advance(5000);
    bot.app.outbox.wake();
    await vi.waitFor(async () => expect(await queued()).toBe(0), { timeout: 5000 });
    for (const user of waiting) {
      expect(h.telegram.textsTo(user.id)).toHaveLength(1);
      expect(h.telegram.textsTo(user.id)[0]).toContain("/newtask");
    }
  });
});
