import { describe, expect, it } from "vitest";
import { createTestBot, useBotHarness } from "#test/helpers/bot";
import { alice } from "#test/helpers/updates";

const SECRET = "s3cret_webhook-TOKEN";
const h = useBotHarness({
  env: { BOT_MODE: "webhook", PUBLIC_URL: "https://tasks.example.org", WEBHOOK_SECRET: SECRET },
});

function deliver(body: unknown, secret?: string) {
  return h.bot.app.http.request("/telegram/webhook", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(secret === undefined ? {} : { "x-telegram-bot-api-secret-token": secret }),
    },
    body: JSON.stringify(body),
  });
}

const taskCount = async () => (await h.sql`select 1 from tasks`).length;

describe("POST /telegram/webhook", () => {
  it("processes an update that carries the right secret", async () => {
    const response = await deliver(h.updates.privateText(alice, "/newtask Via webhook"), SECRET);
    expect(response.status).toBe(200);
    expect(await taskCount()).toBe(1);
    // The answer waits in the outbox until the service's sender (here: the harness) sends it.
    await h.bot.drain();
    expect(h.telegram.textsTo(alice.id).at(-1)).toContain("Via webhook");
  });

  it.each([
    ["missing", undefined],
    ["wrong", "not-the-secret"],
    ["a prefix of the right one", SECRET.slice(0, 5)],
  ])("answers 401 and processes nothing when the secret is %s", async (_case, secret) => {
    const response = await deliver(h.updates.privateText(alice, "/newtask Sneaky"), secret);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      error: { code: "unauthorized", message: "Missing or wrong secret token." },
    });
    expect(await taskCount()).toBe(0);
    expect(h.telegram.calls).toEqual([]);
  });

  it("rejects a body that is not an update with 400", async () => {
    const response = await deliver({ hello: "world" }, SECRET);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: { code: "invalid", message: "Not a Telegram update." },
    });
  });

  it("refuses an update over 1 MiB by its declared length, and by its size without one", async () => {
    const declared = await h.bot.app.http.request("/telegram/webhook", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "content-length": String(2 * 1024 * 1024),
        "x-telegram-bot-api-secret-token": SECRET,
      },
      body: "{}",
    });
    expect(declared.status).toBe(413);
    const big = JSON.stringify({ update_id: 1, padding: "x".repeat(1024 * 1024) });
    const streamed = await deliver(JSON.parse(big), SECRET);
    expect(streamed.status).toBe(413);
    expect(await streamed.json()).toEqual({
      error: { code: "too_large", message: "Update too large." },
    });
    expect(await taskCount()).toBe(0);
  });

  it("answers a redelivery 200 without processing it again", async () => {
    const update = h.updates.privateText(alice, "/newtask Once");
    expect((await deliver(update, SECRET)).status).toBe(200);
    expect((await deliver(update, SECRET)).status).toBe(200);
    expect(await taskCount()).toBe(1);
  });

  it("has no webhook route in polling mode", async () => {
    const polling = createTestBot({ sql: h.sql, telegram: h.telegram });
    const response = await polling.app.http.request("/telegram/webhook", {
      method: "POST",
      body: "{}",
    });
    expect(response.status).toBe(404);
  });
});

describe("health", () => {
  it("answers /healthz and /readyz", async () => {
    expect(await (await h.bot.app.http.request("/healthz")).json()).toEqual({ status: "ok" });
    const ready = await h.bot.app.http.request("/readyz");
    expect(ready.status).toBe(200);
  });
});
