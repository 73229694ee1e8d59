import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TEST_EPOCH } from "#test/helpers/clock";
import { type FakeTelegram, startFakeTelegram, TEST_BOT_TOKEN } from "#test/helpers/fake-telegram";

const SECRET = "hook_SECRET-123";
let telegram: FakeTelegram;
let files: string;

beforeAll(async () => {
  telegram = await startFakeTelegram();
  files = mkdtempSync(join(tmpdir(), "tt-webhook-"));
});
afterAll(async () => {
  await telegram?.close();
  if (files) rmSync(files, { recursive: true, force: true });
});
beforeEach(async () => {
  // Telegram keeps the webhook between runs; each test starts from none.
  await callFake("deleteWebhook", {});
  telegram.clear();
});

async function callFake(method: string, payload: Record<string, unknown>) {
  const response = await fetch(`${telegram.apiRoot}/bot${TEST_BOT_TOKEN}/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(payload),
  });
  return (await response.json()) as { ok: boolean; description?: string };
}

/** `npm run webhook -- …` as an operator runs it: a child process, configured by its environment. */
async function webhook(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const result = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", "scripts/webhook.ts", ...args],
    {
      env: {
        PATH: process.env.PATH ?? "",
        BOT_TOKEN: TEST_BOT_TOKEN,
        TELEGRAM_API_ROOT: telegram.apiRoot,
        PUBLIC_URL: "https://tasks.example.org",
        WEBHOOK_SECRET: SECRET,
        ...env,
      },
    },
  ).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
  return { code: result.code, stdout: result.stdout, stderr: result.stderr };
}

describe("npm run webhook", () => {
  it("sets the service's webhook: its address, the secret, the updates the bot handles, 100 connections", async () => {
    const result = await webhook(["set"]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toContain("Webhook set: https://tasks.example.org/telegram/webhook");
    const [call] = telegram.callsOf("setWebhook");
    expect(call?.response?.ok).toBe(true);
    expect(call?.payload).toEqual({
      url: "https://tasks.example.org/telegram/webhook",
      secret_token: SECRET,
      allowed_updates: [
        "message",
        "edited_message",
        "callback_query",
        "chat_member",
        "my_chat_member",
      ],
      max_connections: 100,
    });
    expect(result.stdout).not.toContain(SECRET);
  }, 30_000);

  it("reads the token and the secret from *_FILE like the service", async () => {
    writeFileSync(join(files, "token"), `${TEST_BOT_TOKEN}\n`);
    writeFileSync(join(files, "secret"), `${SECRET}\n`);
    const result = await webhook(["set"], {
      BOT_TOKEN: "",
      BOT_TOKEN_FILE: join(files, "token"),
      WEBHOOK_SECRET: "",
      WEBHOOK_SECRET_FILE: join(files, "secret"),
    });
    expect(result.code).toBe(0);
    expect(telegram.callsOf("setWebhook")[0]?.payload.secret_token).toBe(SECRET);
  }, 30_000);

  it("shows the webhook, the updates waiting and Telegram's last error with its date", async () => {
    await webhook(["set"]);
    telegram.pushUpdate({ update_id: 1, message: { message_id: 1 } });
    telegram.pushUpdate({ update_id: 2, message: { message_id: 2 } });
    telegram.webhookDeliveryFailed("Wrong response from the webhook: 502 Bad Gateway");
    const result = await webhook(["info"]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    const when = new Date(TEST_EPOCH).toISOString().replace(".000Z", "Z");
    expect(result.stdout).toBe(
      "Webhook: https://tasks.example.org/telegram/webhook\n" +
        "Pending updates: 2\n" +
        "Max connections: 100\n" +
        "Allowed updates: message, edited_message, callback_query, chat_member, my_chat_member\n" +
        `Last error: ${when}: Wrong response from the webhook: 502 Bad Gateway\n`,
    );
  }, 30_000);

  it("says when no webhook is set, and when it is not this service's address", async () => {
    expect((await webhook(["info"])).stdout).toBe(
      "Webhook: none (updates wait for getUpdates: the service in polling mode)\n" +
        "Pending updates: 0\n" +
        "Last error: none\n",
    );
    await webhook(["set"], { PUBLIC_URL: "https://old.example.org" });
    expect((await webhook(["info"])).stdout).toContain(
      "Webhook: https://old.example.org/telegram/webhook\n" +
        "  not this service's address (PUBLIC_URL gives https://tasks.example.org/telegram/webhook)\n",
    );
  }, 30_000);

  it("deletes the webhook, keeping the updates waiting unless asked to drop them", async () => {
    await webhook(["set"]);
    telegram.pushUpdate({ update_id: 1, message: { message_id: 1 } });
    const kept = await webhook(["delete"]);
    expect(kept).toMatchObject({ code: 0, stderr: "" });
    expect(kept.stdout).toContain("Webhook deleted; the updates waiting stay");
    expect((await webhook(["info"])).stdout).toMatch(/^Webhook: none.*\nPending updates: 1\n/);

    const dropped = await webhook(["delete", "--drop-pending"]);
    expect(dropped.stdout).toBe("Webhook deleted; the updates waiting were dropped.\n");
    expect(telegram.callsOf("deleteWebhook").at(-1)?.payload).toEqual({
      drop_pending_updates: true,
    });
    expect((await webhook(["info"])).stdout).toContain("Pending updates: 0");
  }, 30_000);

  it.each([
    [["set"], { PUBLIC_URL: "" }, "PUBLIC_URL is required to set the webhook (https://…)"],
    [
      ["set"],
      { PUBLIC_URL: "http://tasks.example.org" },
      "PUBLIC_URL must be an https address for a webhook (Telegram refuses http): http://tasks.example.org",
    ],
    [["set"], { WEBHOOK_SECRET: "" }, "WEBHOOK_SECRET is required to set the webhook"],
    [
      ["info"],
      { BOT_TOKEN: "" },
      "Invalid configuration: BOT_TOKEN is required: the token @BotFather gave you",
    ],
  ])(
    "stops with one line when a variable is missing or wrong: %j %j",
    async (args, env, line) => {
      const result = await webhook(args, env);
      expect(result).toMatchObject({ code: 1, stdout: "", stderr: `${line}\n` });
      expect(telegram.callsOf("setWebhook")).toEqual([]);
    },
    30_000,
  );

  it("passes on Telegram's refusal in one line, without the token", async () => {
    telegram.failNext("setWebhook", {
      error_code: 400,
      description: "Bad Request: bad webhook: Failed to resolve host: Name or service not known",
    });
    const result = await webhook(["set"]);
    expect(result).toMatchObject({
      code: 1,
      stdout: "",
      stderr:
        "Telegram refused setWebhook: Bad Request: bad webhook: Failed to resolve host: Name or service not known (400)\n",
    });
    expect(result.stderr).not.toContain(TEST_BOT_TOKEN);
  }, 30_000);

  it("says how to use it when the command is missing or unknown", async () => {
    const none = await webhook([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^usage: npm run webhook -- set \| info \| delete/);
    const unknown = await webhook(["remove"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^unknown command: remove\nusage:/);
  }, 30_000);
});

describe("the fake Bot API's setWebhook, strict like Telegram", () => {
  it.each([
    [{ url: "http://tasks.example.org/hook" }, "An HTTPS URL must be provided for webhook"],
    [
      { url: "https://x.org/h", secret_token: "has space" },
      "secret token contains unallowed characters",
    ],
    [
      { url: "https://x.org/h", secret_token: "a".repeat(257) },
      "secret token contains unallowed characters",
    ],
    [{ url: "https://x.org/h", max_connections: 0 }, "max_connections must be between 1 and 100"],
    [{ url: "https://x.org/h", max_connections: 101 }, "max_connections must be between 1 and 100"],
  ])("refuses %j", async (payload, description) => {
    const answer = await callFake("setWebhook", payload);
    expect(answer.ok).toBe(false);
    expect(answer.description).toContain(description);
  });
});
