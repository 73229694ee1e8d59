import { describe, expect, it } from "vitest";
import { createTestBot, useBotHarness } from "#test/helpers/bot";
import { alice } from "#test/helpers/updates";

const h = useBotHarness();

describe("with the outgoing throttle on, as in production", () => {
  it("every answer reaches the chat in order, one retried after Telegram's 429", async () => {
    const bot = createTestBot({ sql: h.sql, telegram: h.telegram, throttle: true });
    h.telegram.failNext("sendMessage", {
      error_code: 429,
      description: "Too Many Requests: retry after 1",
      parameters: { retry_after: 1 },
    });
    await bot.send(h.updates.privateText(alice, "/newtask Buy milk"));
    await bot.send(h.updates.privateText(alice, "/newtask Call the plumber"));
    await bot.send(h.updates.privateText(alice, "/tasks"));

    const texts = h.telegram.textsTo(alice.id);
    expect(texts).toHaveLength(3);
    expect(texts[0]).toContain("Buy milk");
    expect(texts[1]).toContain("Call the plumber");
    expect(texts[2]).toMatch(/Buy milk[\s\S]*Call the plumber|Call the plumber[\s\S]*Buy milk/);
    const refused = h.telegram.callsOf("sendMessage").filter((c) => c.response?.ok === false);
    expect(refused).toHaveLength(1);
  });
});
