import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { Update } from "grammy/types";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { miniAppBuilt } from "#bot/http/mini-app-static";
import { queuedCount } from "#db/outbox";
import { CHAT_LOCK_NAMESPACE } from "#db/updates";
import { useTestDatabase } from "#test/helpers/db";
import { type FakeTelegram, startFakeTelegram, TEST_BOT_TOKEN } from "#test/helpers/fake-telegram";
import { closedPort } from "#test/helpers/ports";
import { base64, TEST_SECRETS } from "#test/helpers/secrets";
import { storedTasks } from "#test/helpers/tasks";
import { makeUpdates, type TestChat, type TestUser } from "#test/helpers/updates";
import { Instance } from "./instance.ts";
import { type Nginx, startNginx } from "./nginx.ts";
import { TelegramWebhook } from "./telegram-webhook.ts";

/**
 * Two `npm start` processes on one database and one Redis, behind nginx (TLS, round robin),
 * fed by a Telegram that POSTs each update until it gets a 2xx, talking to the strict fake
 * Bot API. Everything is checked where a person or an operator would see it: the tasks
 * stored, the messages that reached each chat, the log lines, nginx's access log.
 * Every wait is for an event (an answer, a log line, a row, a lock); nothing sleeps.
 */

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const SECRET = "cluster_test_webhook_secret";
const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
/** The machine is slow and shared: waits are generous, and end early on the event. */
const LONG = 120_000;
const METRICS_TOKEN = "cluster_test_metrics_token_0123456789";

const db = useTestDatabase();
const updates = makeUpdates();
let fake: FakeTelegram;
let nginx: Nginx;
let telegram: TelegramWebhook;
let redis: Redis;
let a: Instance;
let b: Instance;

beforeAll(async () => {
  fake = await startFakeTelegram();
  redis = new Redis(REDIS_URL, { lazyConnect: true });
  await redis.connect();
  const ports = [await closedPort(), await closedPort()] as const;
  nginx = await startNginx(ports);
  const env: Record<string, string> = {
    ...withoutTestRunnerEnv(process.env),
    BOT_TOKEN: TEST_BOT_TOKEN,
    TELEGRAM_API_ROOT: fake.apiRoot,
    BOT_MODE: "webhook",
    PUBLIC_URL: nginx.url,
    WEBHOOK_SECRET: SECRET,
    DATABASE_URL: db.url,
    REDIS_URL,
    HOST: "127.0.0.1",
    TRUST_PROXY: "1",
    LOG_LEVEL: "info",
    ENCRYPTION_KEYS: TEST_SECRETS.encryptionKeys.map(base64).join(","),
    HASH_SECRET: base64(TEST_SECRETS.hashSecret),
    // The shortest period there is: both instances' first purge falls within this file.
    PURGE_INTERVAL_MINUTES: "1",
    METRICS_TOKEN,
  };
  // npm start builds the Mini App when missing; built once here, not by both at once.
  if (!miniAppBuilt()) {
    await promisify(execFile)("npm", ["run", "build", "--silent"], {
      cwd: REPO,
      env: { ...env, NODE_ENV: "production" },
    });
  }
  a = new Instance("A", ports[0], env);
  b = new Instance("B", ports[1], env);
  await Promise.all([a.start(), b.start()]);
  telegram = new TelegramWebhook(nginx.url, SECRET, nginx.ca);
}, 4 * LONG);

afterAll(async () => {
  if (telegram) {
    const { delivered, redelivered, failures } = telegram.stats;
    const passedOn = (await nginx.requests()).filter((r) => r.upstreams.length > 1).length;
    console.info(
      `cluster: ${delivered} updates delivered; ${redelivered} attempts delivered again ` +
        `(${JSON.stringify(Object.fromEntries(failures))}); ${passedOn} requests passed on by nginx`,
    );
  }
  // Only what this file started, also after a failure halfway.
  telegram?.close();
  await Promise.all([a?.kill(), b?.kill()]);
  await nginx?.stop();
  await fake?.close();
  redis?.disconnect();
}, LONG);

/** The environment without what the test runner set for itself (NODE_ENV=test, VITEST…). */
function withoutTestRunnerEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || name === "NODE_ENV" || name.startsWith("VITEST")) continue;
    kept[name] = value;
  }
  return kept;
}

let people = 0;
let chats = 0;
/** A new member each time: the per-user limit (5 per 3 s) never meets the load. */
const member = (): TestUser => ({ id: 9_310_000 + ++people, first_name: `Member ${people}` });
const groupChat = (): TestChat => ({
  id: -1_009_310_000_000 - ++chats,
  title: `Team ${chats}`,
  type: "supergroup",
});
/** One word that no date or priority parser reads anything into. */
const title = (tag: string, chat: number, n: number) =>
  `${tag}C${chat}N${String(n).padStart(3, "0")}`;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** The task titles of the cards that reached the chat, in order. */
function cardTitles(chatId: number): string[] {
  return fake
    .textsTo(chatId)
    .map((text) => /^#\d+ <b>([^<]+)<\/b>/.exec(text)?.[1])
    .filter((t) => t !== undefined);
}

async function titlesStoredFor(teamId: number): Promise<string[]> {
  return (await storedTasks(db.sql, (sql) => sql`team_id = ${teamId}`)).map((t) => t.title);
}

async function untilOutboxEmpty(): Promise<void> {
  await expect.poll(() => queuedCount(db.sql), { timeout: LONG, interval: 100 }).toBe(0);
}

async function processedCount(ids: number[]): Promise<number> {
  const [row] = await db.sql<{ n: number }[]>`
    select count(*)::int as n from processed_updates where update_id in ${db.sql(ids)}`;
  return row?.n ?? 0;
}

const newTask = (chat: TestChat, text: string): Update =>
  updates.groupText(chat, member(), `/newtask ${text}`);

describe("two instances behind nginx", () => {
  it(
    "process every update once, each chat's in order across both, and send each reply once",
    async () => {
      const teams = range(6).map(groupChat);
      const sent = teams.map((_, c) => range(6).map((n) => title("order", c, n)));
      const deliveries = teams.map((chat, c) => (sent[c] ?? []).map((text) => newTask(chat, text)));
      // Chats at once, each chat's updates one after another (each after the previous answer).
      await Promise.all(deliveries.map((list) => telegram.deliverInOrder(list)));
      await untilOutboxEmpty();

      for (const [c, chat] of teams.entries()) {
        expect(await titlesStoredFor(chat.id)).toEqual(sent[c]);
        expect(cardTitles(chat.id)).toEqual(sent[c]);
      }
      const ids = deliveries.flat().map((u) => u.update_id);
      expect(await processedCount(ids)).toBe(ids.length);
      // Both instances took deliveries: the order held across them.
      const upstreams = (await nginx.requests())
        .filter((r) => r.path === "/telegram/webhook")
        .flatMap((r) => r.upstreams);
      expect(new Set(upstreams)).toEqual(new Set([`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`]));

      // What the two instances' /metrics say of it: every update counted once, by the
      // instance that took it; every card sent once; the outbox empty.
      const scraped = await Promise.all([a, b].map(scrapeMetrics));
      const both = (metric: string, labels: Record<string, string>) =>
        scraped.reduce((total, text) => total + sampleSum(text, metric, labels), 0);
      const handled = both("tasktracker_updates_total", { type: "message", outcome: "handled" });
      expect(handled).toBe(ids.length);
      expect(scraped.every((text) => sampleSum(text, "tasktracker_updates_total", {}) > 0)).toBe(
        true,
      );
      const cards = both("tasktracker_telegram_calls_total", {
        via: "outbox",
        method: "sendMessage",
        result: "ok",
      });
      expect(cards).toBe(ids.length);
      expect(both("tasktracker_outbox_depth", {})).toBe(0);
      console.info(
        `cluster metrics: updates handled A ${sampleSum(scraped[0] ?? "", "tasktracker_updates_total", {})}, ` +
          `B ${sampleSum(scraped[1] ?? "", "tasktracker_updates_total", {})}; ` +
          `outbox sendMessage ok ${cards}; ` +
          `webhook requests ${both("tasktracker_http_requests_total", { route: "/telegram/webhook", status: "200" })}; ` +
          `outbox depth ${both("tasktracker_outbox_depth", {})}`,
      );
    },
    LONG,
  );

  it(
    "serves the Mini App and the probes through the proxy with the security headers",
    async () => {
      const page = await fetchThroughProxy("/");
      expect(page.status).toBe(200);
      expect(page.headers["content-security-policy"]).toContain("frame-ancestors");
      expect(page.headers["strict-transport-security"]).toContain("max-age=");
      expect((await fetchThroughProxy("/readyz")).status).toBe(200);
    },
    LONG,
  );

  it(
    "continues a /newtask form on the other instance: the form's state is in the database",
    async () => {
      const user = member();
      const onA = new TelegramWebhook(`http://127.0.0.1:${a.port}`, SECRET);
      const onB = new TelegramWebhook(`http://127.0.0.1:${b.port}`, SECRET);
      try {
        await onA.deliver(updates.privateText(user, "/newtask"));
        await onA.deliver(updates.privateText(user, "Renew the domain"));
        await onB.deliver(updates.privateText(user, "Before it expires"));
        await onB.deliver(updates.privateText(user, "me"));
        await untilOutboxEmpty();
        expect(fake.textsTo(user.id).at(-1)).toContain("When is it due?");
        // The person's limit (5 updates per 3 s, in Redis): the rest after its window ends.
        await untilRateWindowEnds(user.id);
        await onB.deliver(updates.privateText(user, "/skip"));
        await onB.deliver(updates.privateText(user, "low"));
        await untilOutboxEmpty();
        const summary = fake.lastMessageTo(user.id);
        await onB.deliver(updates.callback(user, "nt:create", summary));
        await untilOutboxEmpty();
      } finally {
        onA.close();
        onB.close();
      }
      const stored = await storedTasks(db.sql, (sql) => sql`creator_id = ${user.id}`);
      expect(stored.map((t) => [t.title, t.description, t.priority])).toEqual([
        ["Renew the domain", "Before it expires", "low"],
      ]);
      // Each question asked once: no step lost or repeated between the instances.
      for (const question of ["What is the task?", "Add a description", "Who should do it?"]) {
        expect(fake.textsTo(user.id).filter((t) => t.includes(question))).toHaveLength(1);
      }
    },
    LONG,
  );

  it(
    "share the per-user limit through Redis: 8 updates at once, 5 taken, one notice",
    async () => {
      const user = member();
      const burst = range(8).map((n) =>
        updates.privateText(user, `/newtask ${title("limit", 0, n)}`),
      );
      // Round robin gives each instance 4: alone, neither would reach 5.
      await Promise.all(burst.map((u) => telegram.deliver(u)));
      await untilOutboxEmpty();
      const stored = await storedTasks(db.sql, (sql) => sql`creator_id = ${user.id}`);
      expect(stored).toHaveLength(5);
      expect(fake.textsTo(user.id).filter((t) => t.startsWith("Slow down"))).toHaveLength(1);
    },
    LONG,
  );

  it(
    "purge once per interval: one instance runs the scheduled purge, the other skips",
    async () => {
      const isPurge = (msg: string) => msg.startsWith("scheduled purge");
      const said = await Promise.all([a.untilLogged(isPurge), b.untilLogged(isPurge)]);
      // Both timers tick about a minute after their start: the later one finds the purge
      // done (or, ticking at the same moment, still running) and skips.
      expect(said.map((line) => line.msg).sort()).toEqual([
        "scheduled purge done",
        expect.stringMatching(
          /^scheduled purge skipped: (another run purged less than half an interval ago|another instance is purging)$/,
        ),
      ]);
      const [runs] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from audit_log
      where action = 'retention.purged' and target = 'schedule'`;
      expect(runs?.n).toBe(1);
    },
    3 * LONG,
  );
});

describe("an instance killed (SIGKILL) under load", () => {
  it(
    "loses no update: Telegram delivers again what went unanswered, and each effect is there once",
    async () => {
      // Updates of these chats wait inside A on their chat's lock, held here, when A dies.
      const stuck = range(8).map(groupChat);
      const toA = new TelegramWebhook(`http://127.0.0.1:${a.port}`, SECRET);
      const holder = await db.sql.reserve();
      let released = false;
      const release = async () => {
        if (released) return;
        released = true;
        for (const chat of stuck) {
          await holder`select pg_advisory_unlock(${CHAT_LOCK_NAMESPACE}, hashtext(${String(chat.id)}))`;
        }
        holder.release();
      };
      try {
        for (const chat of stuck) {
          await holder`select pg_advisory_lock(${CHAT_LOCK_NAMESPACE}, hashtext(${String(chat.id)}))`;
        }
        const stuckSent = stuck.map((_, c) => [title("stuck", c, 0)]);
        // Telegram's connections to A: what they carry is delivered again through nginx.
        const stuckDeliveries = stuck.map((chat, c) =>
          telegram.deliverFirstThrough(toA, newTask(chat, stuckSent[c]?.[0] ?? "")),
        );
        const busy = range(8).map(groupChat);
        const busySent = busy.map((_, c) => range(8).map((n) => title("load", c, n)));
        const loadDeliveries = busy.map((chat, c) =>
          telegram.deliverInOrder((busySent[c] ?? []).map((text) => newTask(chat, text))),
        );
        await untilWaitingOnChatLocks(stuck.length);
        const before = telegram.stats.redelivered;

        await a.kill();
        await release();
        await Promise.all([...stuckDeliveries, ...loadDeliveries]);
        await untilOutboxEmpty();

        const chatsAndTitles = [
          ...stuck.map((chat, c) => [chat, stuckSent[c] ?? []] as const),
          ...busy.map((chat, c) => [chat, busySent[c] ?? []] as const),
        ];
        for (const [chat, expected] of chatsAndTitles) {
          // Stored once each, in the chat's order.
          expect(await titlesStoredFor(chat.id)).toEqual(expected);
          // Sent at least once each; a send A had made when it died may go out once more.
          const cards = cardTitles(chat.id);
          expect([...new Set(cards)]).toEqual(expected);
          expect(cards.length).toBeLessThanOrEqual(expected.length + 1);
        }
        // Each of them went unanswered and was delivered again.
        expect(telegram.stats.redelivered - before).toBeGreaterThanOrEqual(stuck.length);
      } finally {
        await release();
        toA.close();
      }
      await a.start();
    },
    3 * LONG,
  );
});

describe("a rolling restart (SIGTERM, start, then the other)", () => {
  it(
    "loses no update and sends each reply once while traffic flows",
    async () => {
      let flowing = true;
      const lanes = 6;
      // Each lane moves to a new group every few updates: the replies stay within Telegram's
      // 20 messages a minute per group, which the outbox keeps to.
      const perChat = 4;
      const sent = new Map<TestChat, string[]>();
      const traffic = range(lanes).map(async (lane) => {
        let chat = groupChat();
        for (let n = 0; flowing; n++) {
          if (n % perChat === 0) chat = groupChat();
          const text = title("roll", lane, n);
          sent.set(chat, [...(sent.get(chat) ?? []), text]);
          await telegram.deliver(newTask(chat, text));
        }
      });
      const deliveredSince = (count: number) => telegram.stats.delivered - count;

      for (const instance of [a, b]) {
        const mark = telegram.stats.delivered;
        // Under traffic: a round of deliveries answered since the last step.
        await expect
          .poll(() => deliveredSince(mark), { timeout: LONG, interval: 50 })
          .toBeGreaterThanOrEqual(lanes);
        await instance.terminate();
        const stopping = instance.messages();
        // Not ready first, then the updates and sends in flight finish, then the exit.
        const notReady = stopping.indexOf("stopping: not ready, finishing what is in flight");
        expect(notReady).toBeGreaterThanOrEqual(0);
        expect(stopping.indexOf("stopped")).toBeGreaterThan(notReady);
        const restarted = telegram.stats.delivered;
        const seen = (await nginx.requests()).length;
        await instance.start();
        // Traffic went on through the other instance meanwhile.
        expect(deliveredSince(restarted)).toBeGreaterThan(0);
        // nginx learns only from requests: the next instance stops once this one is back in
        // its rotation (after fail_timeout), else for a moment it would know of none.
        await untilProxiedTo(instance, seen);
      }
      flowing = false;
      await Promise.all(traffic);
      await untilOutboxEmpty();

      for (const [chat, titles] of sent) {
        expect(await titlesStoredFor(chat.id)).toEqual(titles);
        expect(cardTitles(chat.id)).toEqual(titles);
      }
    },
    4 * LONG,
  );
});

/** Waits until nginx has had a delivery answered by the instance, after its first `seen` requests. */
async function untilProxiedTo(instance: Instance, seen: number): Promise<void> {
  const address = `127.0.0.1:${instance.port}`;
  await expect
    .poll(
      async () =>
        (await nginx.requests())
          .slice(seen)
          .some(
            (r) =>
              r.path === "/telegram/webhook" && r.status === 200 && r.upstreams.at(-1) === address,
          ),
      { timeout: LONG, interval: 100 },
    )
    .toBe(true);
}

/** Waits until `count` updates wait on chat locks (the advisory locks nobody grants yet). */
async function untilWaitingOnChatLocks(count: number): Promise<void> {
  await expect
    .poll(
      async () => {
        const [row] = await db.sql<{ n: number }[]>`
          select count(*)::int as n from pg_locks
          where locktype = 'advisory' and not granted
            and database = (select oid from pg_database where datname = current_database())`;
        return row?.n ?? 0;
      },
      { timeout: LONG, interval: 100 },
    )
    .toBeGreaterThanOrEqual(count);
}

/** The person's update counter in Redis expires with its window (@grammyjs/ratelimiter). */
async function untilRateWindowEnds(userId: number): Promise<void> {
  await expect
    .poll(() => redis.exists(`tt:rate:${userId}`), { timeout: LONG, interval: 100 })
    .toBe(0);
}

async function fetchThroughProxy(
  path: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  const { request } = await import("node:https");
  return new Promise((resolve, reject) => {
    const req = request(`${nginx.url}${path}`, { ca: nginx.ca }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** An instance's /metrics, asked with the token as Prometheus would. */
async function scrapeMetrics(instance: Instance): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${instance.port}/metrics`, {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  expect(response.status).toBe(200);
  return response.text();
}

/** The sum of `metric`'s samples whose labels include `labels`, in Prometheus' text format. */
function sampleSum(text: string, metric: string, labels: Record<string, string>): number {
  let total = 0;
  for (const line of text.split("\n")) {
    const match = /^([a-z_]+)(?:\{(.*)\})? ([^ ]+)$/.exec(line);
    if (!match || match[1] !== metric) continue;
    const found = new Map(
      [...(match[2] ?? "").matchAll(/([a-z_]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([name, value]) => found.get(name) === value)) {
      total += Number(match[3]);
    }
  }
  return total;
}
