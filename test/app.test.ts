import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHAT_LOCK_NAMESPACE } from "#db/updates";
import { createTestBot } from "#test/helpers/bot";
import { useTestDatabase } from "#test/helpers/db";
import { type FakeTelegram, startFakeTelegram } from "#test/helpers/fake-telegram";
import { alice, makeUpdates } from "#test/helpers/updates";

const db = useTestDatabase();
let telegram: FakeTelegram;

beforeAll(async () => {
  telegram = await startFakeTelegram();
});
afterAll(async () => {
  await telegram.close();
});

describe("starting the service", () => {
  it("in webhook mode registers the webhook with its secret and the command list", async () => {
    telegram.clear();
    const { app } = createTestBot({
      sql: db.sql,
      telegram,
      env: {
        BOT_MODE: "webhook",
        PUBLIC_URL: "https://tasks.example.org/",
        WEBHOOK_SECRET: "abc_DEF-123",
        PORT: "0",
      },
    });
    const { port } = await app.start();
    try {
      const [webhook] = telegram.callsOf("setWebhook");
      expect(webhook?.payload).toMatchObject({
        url: "https://tasks.example.org/telegram/webhook",
        secret_token: "abc_DEF-123",
        allowed_updates: [
          "message",
          "edited_message",
          "callback_query",
          "chat_member",
          "my_chat_member",
        ],
      });
      const [commands] = telegram.callsOf("setMyCommands");
      const listed = (commands?.payload.commands ?? []) as Array<{ command: string }>;
      const names = listed.map((c) => c.command);
      expect(names).toEqual([
        "start",
        "help",
        "newtask",
        "tasks",
        "done",
        "task",
        "cancel",
        "repeat",
        "timezone",
        "quiet",
        "digest",
        "privacy",
        "consent",
        "export",
        "delete",
      ]);
      // The chat's menu button opens the Mini App.
      expect(telegram.callsOf("setChatMenuButton")[0]?.payload).toEqual({
        menu_button: {
          type: "web_app",
          text: "Tasks",
          web_app: { url: "https://tasks.example.org/" },
        },
      });
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
    } finally {
      await app.stop();
    }
  });

  it("in polling mode takes updates from getUpdates and stops cleanly", async () => {
    telegram.clear();
    const { app } = createTestBot({ sql: db.sql, telegram, env: { PORT: "0" } });
    await app.start();
    try {
      expect(telegram.callsOf("deleteWebhook")).toHaveLength(1);
      telegram.pushUpdate(makeUpdates().privateText(alice, "/newtask Polled task"));
      await telegram.waitForCalls((calls) =>
        calls.some(
          (c) => c.method === "sendMessage" && String(c.payload.text).includes("Polled task"),
        ),
      );
    } finally {
      await app.stop();
    }
    const rows = await db.sql`select title from tasks`;
    expect(rows.map((r) => r.title)).toEqual(["Polled task"]);
  });

  it("shares the per-user limit through Redis when REDIS_URL is set", async () => {
    telegram.clear();
    // A fresh update factory numbers from 1 again; earlier ids must not count as duplicates.
    await db.sql`truncate processed_updates`;
    const env = {
      PORT: "0",
      BOT_MODE: "webhook",
      PUBLIC_URL: "https://x.org",
      WEBHOOK_SECRET: "s",
    };
    const first = createTestBot({
      sql: db.sql,
      telegram,
      rateLimit: "default",
      env: { ...env, REDIS_URL: "redis://127.0.0.1:6379" },
    });
    const second = createTestBot({
      sql: db.sql,
      telegram,
      rateLimit: "default",
      env: { ...env, REDIS_URL: "redis://127.0.0.1:6379" },
    });
    await first.app.start();
    await second.app.start();
    // A user of our own, so parallel runs do not share counters.
    const user = { ...alice, id: 7_000_000 + Math.floor(Math.random() * 1_000_000) };
    const updates = makeUpdates();
    try {
      for (let i = 1; i <= 7; i++) {
        await (i % 2 ? first : second).send(updates.privateText(user, `/newtask Limited ${i}`));
      }
    } finally {
      await first.app.stop();
      await second.app.stop();
    }
    const created = await db.sql`select 1 from tasks where creator_id = ${user.id}`;
    expect(created.length).toBe(5);
    expect(telegram.textsTo(user.id).filter((t) => t.startsWith("Slow down"))).toHaveLength(1);
  });

  it("finishes a webhook update on shutdown even when its sender has hung up", async () => {
    telegram.clear();
    await db.sql`truncate processed_updates`;
    const secret = "shutdown_secret";
    const { app } = createTestBot({
      sql: db.sql,
      telegram,
      env: { BOT_MODE: "webhook", PUBLIC_URL: "https://x.org", WEBHOOK_SECRET: secret, PORT: "0" },
    });
    const { port } = await app.start();
    const user = { ...alice, id: 8_000_001 };
    // Hold the chat's lock so the update is still in flight when shutdown begins.
    const holder = await db.sql.reserve();
    await holder`select pg_advisory_lock(${CHAT_LOCK_NAMESPACE}, hashtext(${String(user.id)}))`;
    const sender = new AbortController();
    const delivery = fetch(`http://127.0.0.1:${port}/telegram/webhook`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": secret },
      body: JSON.stringify(makeUpdates().privateText(user, "/newtask Survives shutdown")),
      signal: sender.signal,
    }).catch(() => "aborted");
    try {
      await waitUntilBlockedOnLock();
      sender.abort();
      expect(await delivery).toBe("aborted");
      const stopped = app.stop();
      await holder`select pg_advisory_unlock(${CHAT_LOCK_NAMESPACE}, hashtext(${String(user.id)}))`;
      await stopped;
    } finally {
      holder.release();
    }
    const rows = await db.sql`select title from tasks where creator_id = ${user.id}`;
    expect(rows.map((r) => r.title)).toEqual(["Survives shutdown"]);
  });
});

/** Returns once some session of this database waits on an advisory lock. */
async function waitUntilBlockedOnLock(): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const waiting = await db.sql`
      select 1 from pg_locks where locktype = 'advisory' and not granted
        and database = (select oid from pg_database where datname = current_database())`;
    if (waiting.length > 0) return;
  }
  throw new Error("the update never reached the chat lock");
}
