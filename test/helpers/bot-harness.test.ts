import { describe, expect, it } from "vitest";
import { queueMessages } from "#bot/outbox/queue";
import { createVault } from "#db/vault";
import { useBotHarness } from "./bot.ts";
import { TEST_SECRETS } from "./secrets.ts";
import { alice } from "./updates.ts";

const h = useBotHarness();
const vault = createVault(TEST_SECRETS.encryptionKeys, TEST_SECRETS.hashSecret);

const queue = (text: string) =>
  queueMessages(h.sql, vault, h.bot.clock.now(), [
    { chatId: alice.id, method: "sendMessage", text, params: { parse_mode: "HTML" } },
  ]);

describe("the harness's outbox delivery", () => {
  it("fails the test when Telegram refuses a message the bot queued", async () => {
    await queue("<b>unclosed");
    await expect(h.bot.drain()).rejects.toThrow(
      /Telegram refused what the bot queued:\nsendMessage: Bad Request: can't parse entities/,
    );
  });

  it("lets a refusal the test asked the fake for pass, as the sender drops it", async () => {
    h.telegram.failNext("sendMessage", {
      error_code: 400,
      description: "Bad Request: chat not found",
    });
    await queue("Hello");
    await h.bot.drain();
    expect(h.telegram.textsTo(alice.id)).toEqual([]);
  });
});
