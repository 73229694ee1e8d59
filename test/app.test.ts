import { connect, createServer, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHAT_LOCK_NAMESPACE } from "#db/updates";
import { createTestBot } from "#test/helpers/bot";
import { useTestDatabase } from "#test/helpers/db";
import { type FakeTelegram, startFakeTelegram, TEST_BOT_TOKEN } from "#test/helpers/fake-telegram";
import { closedPort } from "#test/helpers/ports";
import { storedTasks } from "#test/helpers/tasks";
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
    const rows = await storedTasks(db.sql);
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
    const rows = await storedTasks(db.sql, (sql) => sql`creator_id = ${user.id}`);
    expect(rows.map((r) => r.title)).toEqual(["Survives shutdown"]);
  });
});

describe("stopping the service (SIGTERM)", () => {
  it("answers /readyz 503 at once, refuses new deliveries with 503, and finishes the update in flight", async () => {
    telegram.clear();
    await db.sql`truncate processed_updates`;
    const secret = "graceful_secret";
    const { app } = createTestBot({
      sql: db.sql,
      telegram,
      env: { BOT_MODE: "webhook", PUBLIC_URL: "https://x.org", WEBHOOK_SECRET: secret, PORT: "0" },
    });
    const { port } = await app.start();
    const headers = {
      "content-type": "application/json",
      "x-telegram-bot-api-secret-token": secret,
    };
    const updates = makeUpdates();
    const inFlight = { ...alice, id: 8_000_002 };
    const late = { ...alice, id: 8_000_003 };
    expect((await app.http.request("/readyz")).status).toBe(200);
    // The chat's lock, held here, keeps the update in flight while shutdown begins.
    const holder = await db.sql.reserve();
    await holder`select pg_advisory_lock(${CHAT_LOCK_NAMESPACE}, hashtext(${String(inFlight.id)}))`;
    const delivery = fetch(`http://127.0.0.1:${port}/telegram/webhook`, {
      method: "POST",
      headers,
      body: JSON.stringify(updates.privateText(inFlight, "/newtask In flight at shutdown")),
    });
    let stopped: Promise<void> | undefined;
    try {
      await waitUntilBlockedOnLock();
      stopped = app.stop();

      const ready = await app.http.request("/readyz");
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({
        error: { code: "not_ready", message: "Not ready: shutting down." },
      });
      // A delivery that still reaches this instance is handed back: Telegram sends it again.
      const refused = await app.http.request("/telegram/webhook", {
        method: "POST",
        headers,
        body: JSON.stringify(updates.privateText(late, "/newtask Arrived while stopping")),
      });
      expect(refused.status).toBe(503);
    } finally {
      await holder`select pg_advisory_unlock(${CHAT_LOCK_NAMESPACE}, hashtext(${String(inFlight.id)}))`;
      holder.release();
    }
    expect((await delivery).status).toBe(200);
    await stopped;
    const rows = await storedTasks(
      db.sql,
      (sql) => sql`creator_id in ${sql([inFlight.id, late.id])}`,
    );
    expect(rows.map((r) => r.title)).toEqual(["In flight at shutdown"]);
  });
});

describe("reaching Telegram at start", () => {
  it("says at once that it cannot reach the Bot API and why, answers /healthz, and is not ready meanwhile", async () => {
    telegram.clear();
    const unreachable = await closedPort();
    const port = await closedPort();
    const waiting = pausedWaits();
    const { app, logs } = createTestBot({
      sql: db.sql,
      telegram,
      env: { PORT: String(port), TELEGRAM_API_ROOT: `http://127.0.0.1:${unreachable}` },
      wait: waiting.wait,
    });
    const started = app.start();
    try {
      await waiting.first;
      const lines = logs.lines().filter((l) => String(l.msg).startsWith("cannot reach"));
      expect(lines.map((l) => l.msg)).toEqual([
        `cannot reach the Bot API at http://127.0.0.1:${unreachable}: ECONNREFUSED; retrying in 1 s`,
      ]);
      expect(logs.raw()).not.toContain(TEST_BOT_TOKEN.split(":")[1]);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ error: { code: "not_ready" } });
    } finally {
      waiting.abort();
      await expect(started).rejects.toThrow("stopped by the test");
      await app.stop();
    }
  });

  it("hands deliveries back with 503 until the Bot API is reached (another instance takes them)", async () => {
    telegram.clear();
    const unreachable = await closedPort();
    const waiting = pausedWaits();
    const secret = "not_ready_secret";
    const { app } = createTestBot({
      sql: db.sql,
      telegram,
      env: {
        BOT_MODE: "webhook",
        PUBLIC_URL: "https://x.org",
        WEBHOOK_SECRET: secret,
        PORT: "0",
        TELEGRAM_API_ROOT: `http://127.0.0.1:${unreachable}`,
      },
      wait: waiting.wait,
    });
    const started = app.start();
    const user = { ...alice, id: 8_000_004 };
    try {
      await waiting.first;
      const delivery = await app.http.request("/telegram/webhook", {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": secret },
        body: JSON.stringify(makeUpdates().privateText(user, "/newtask Too early")),
      });
      expect(delivery.status).toBe(503);
    } finally {
      waiting.abort();
      await expect(started).rejects.toThrow("stopped by the test");
      await app.stop();
    }
    expect(await storedTasks(db.sql, (sql) => sql`creator_id = ${user.id}`)).toEqual([]);
  });

  it("retries with a growing delay until the Bot API answers, then is ready", async () => {
    telegram.clear();
    const root = await closedPort();
    const port = await closedPort();
    const delays: number[] = [];
    let forwarder: { close(): Promise<void> } | undefined;
    const { app, logs } = createTestBot({
      sql: db.sql,
      telegram,
      env: { PORT: String(port), TELEGRAM_API_ROOT: `http://127.0.0.1:${root}` },
      wait: async (ms) => {
        delays.push(ms);
        // Meanwhile the service is up but says it is not ready.
        expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(503);
        // After the second failure the network comes back.
        if (delays.length === 2) forwarder = await forward(root, telegram.apiRoot);
      },
    });
    try {
      await app.start();
      expect(delays).toEqual([1000, 2000]);
      const failures = logs.lines().filter((l) => String(l.msg).startsWith("cannot reach"));
      expect(failures.map((l) => l.msg)).toEqual([
        `cannot reach the Bot API at http://127.0.0.1:${root}: ECONNREFUSED; retrying in 1 s`,
        `cannot reach the Bot API at http://127.0.0.1:${root}: ECONNREFUSED; retrying in 2 s`,
      ]);
      expect(telegram.callsOf("deleteWebhook")).toHaveLength(1);
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    } finally {
      await app.stop();
      await forwarder?.close();
    }
  });

  it("stops the start with one line naming BOT_TOKEN when Telegram refuses the token", async () => {
    telegram.clear();
    telegram.failNext("deleteWebhook", { error_code: 401, description: "Unauthorized" });
    const waits: number[] = [];
    const { app } = createTestBot({
      sql: db.sql,
      telegram,
      env: { PORT: "0" },
      wait: async (ms) => {
        waits.push(ms);
      },
    });
    try {
      await expect(app.start()).rejects.toThrow(
        "Telegram refuses BOT_TOKEN (401 Unauthorized): check BOT_TOKEN (from @BotFather)",
      );
      expect(waits).toEqual([]);
    } finally {
      await app.stop();
    }
  });
});

/** Relays TCP connections from a loopback port to `target`, as a network coming back. */
async function forward(port: number, target: string): Promise<{ close(): Promise<void> }> {
  const to = new URL(target);
  const sockets = new Set<Socket>();
  const server = createServer((incoming) => {
    const outgoing = connect(Number(to.port), to.hostname);
    for (const socket of [incoming, outgoing]) {
      sockets.add(socket);
      socket.on("error", () => socket.destroy());
      socket.on("close", () => sockets.delete(socket));
    }
    incoming.pipe(outgoing).pipe(incoming);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/** A wait that holds start()'s retry loop until the test aborts it. */
function pausedWaits() {
  let reached: () => void = () => {};
  const first = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const held: Array<(error: Error) => void> = [];
  return {
    first,
    wait: (_ms: number) =>
      new Promise<void>((_resolve, reject) => {
        held.push(reject);
        reached();
      }),
    abort: () => {
      for (const reject of held) reject(new Error("stopped by the test"));
    },
  };
}

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
