import { afterEach, describe, expect, it, vi } from "vitest";
import { TELEGRAM_LIMITS } from "#bot/outbox/budgets";
import { createTestBot, type TestBot, useBotHarness } from "#test/helpers/bot";
import { tooManyRequests } from "#test/helpers/fake-telegram";
import { alice } from "#test/helpers/updates";

const h = useBotHarness();
let started: TestBot | undefined;

afterEach(async () => {
  await started?.app.outbox.stop();
  started = undefined;
});

describe("with the outgoing throttle and Telegram's limits on, as in production", () => {
  it("answers reach the chat in order, one a second, one retried after Telegram's 429", async () => {
    const bot = createTestBot({
      sql: h.sql,
      telegram: h.telegram,
      clock: h.bot.clock,
      throttle: true,
      outboxLimits: TELEGRAM_LIMITS,
    });
    started = bot;
    h.telegram.failNext("sendMessage", tooManyRequests(1));
    // Handled as the webhook does: each update is done once committed, not once answered.
    for (const text of ["/newtask Buy milk", "/newtask Call the plumber", "/tasks"]) {
      await bot.app.bot.handleUpdate(h.updates.privateText(alice, text));
    }
    expect(h.telegram.callsOf("sendMessage")).toEqual([]);

    await bot.app.outbox.start();
    const queued = async () => (await h.sql`select 1 from outbox`).length;
    // A send counts from Telegram's answer: the clock moves on only once the sender has it.
    await vi.waitFor(
      () => {
        const told = bot.logs.lines().some((line) => line.msg === "outbox: chat told to wait");
        if (!told) throw new Error("not told to wait yet");
      },
      { timeout: 5000 },
    );
    // Told to wait a second; then one message a second in a private chat.
    for (let sent = 1; sent <= 3; sent++) {
      h.bot.clock.advance(1000);
      bot.app.outbox.wake();
      await vi.waitFor(async () => expect(await queued()).toBe(3 - sent), { timeout: 5000 });
    }

    const texts = h.telegram.textsTo(alice.id);
    expect(texts[0]).toContain("Buy milk");
    expect(texts[1]).toContain("Call the plumber");
    expect(texts[2]).toMatch(/Buy milk[\s\S]*Call the plumber|Call the plumber[\s\S]*Buy milk/);
    const refused = h.telegram.callsOf("sendMessage").filter((c) => c.response?.ok === false);
    expect(refused).toHaveLength(1);
  });
});
