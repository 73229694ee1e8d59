import { Api } from "grammy";
import type { Update } from "grammy/types";
import type { Sql } from "postgres";
import { afterAll, afterEach, beforeAll, beforeEach, inject, vi } from "vitest";
import { type App, createApp } from "#bot/app";
import { loadConfig } from "#bot/config";
import { createIdHasher, type Logger } from "#bot/lib/logger";
import type { SendLimits } from "#bot/outbox/budgets";
import { createOutboxSender } from "#bot/outbox/sender";
import type { RateLimit } from "#bot/telegram/bot";
import { queuedCount } from "#db/outbox";
import type { Secrets } from "#db/secrets";
import { createVault } from "#db/vault";
import { pressOn } from "./buttons.ts";
import { FakeClock, TEST_EPOCH } from "./clock.ts";
import { emptyTables, useTestDatabase } from "./db.ts";
import {
  type FakeTelegram,
  startFakeTelegram,
  TEST_BOT_INFO,
  TEST_BOT_TOKEN,
} from "./fake-telegram.ts";
import { UNPACED } from "./limits.ts";
import { captureLogs } from "./logs.ts";
import { TEST_SECRETS } from "./secrets.ts";
import { makeUpdates, type TestUser } from "./updates.ts";

export interface TestBot {
  app: App;
  clock: FakeClock;
  logs: ReturnType<typeof captureLogs>;
  /**
   * Delivers one update the way the webhook does, and waits until it is handled and the
   * messages it queued for others have been delivered.
   */
  send(update: Update): Promise<void>;
  /** Delivers what the outbox holds, as the service's sender would (without pacing), and waits. */
  drain(): Promise<void>;
}

/**
 * Sends everything queued in the outbox with a sender of its own, then stops it: what the
 * service's sender does after each commit, done here once the test asks for it.
 */
async function drainOutbox(options: {
  sql: Sql;
  telegram: FakeTelegram;
  clock: FakeClock;
  log: Logger;
  secrets: Secrets;
}): Promise<void> {
  const { sql, secrets } = options;
  if ((await queuedCount(sql)) === 0) return;
  const callsBefore = options.telegram.calls.length;
  const sender = createOutboxSender({
    sql,
    vault: createVault(secrets.encryptionKeys, secrets.hashSecret),
    clock: options.clock,
    log: options.log,
    hashId: createIdHasher(secrets.hashSecret),
    api: new Api(TEST_BOT_TOKEN, { apiRoot: options.telegram.apiRoot }),
    limits: UNPACED,
  });
  await sender.start();
  try {
    await vi.waitFor(
      async () => {
        if ((await queuedCount(sql)) > 0) throw new Error("the outbox still holds messages");
      },
      { timeout: 5000, interval: 5 },
    );
  } finally {
    await sender.stop();
  }
  // The sender logs a refusal and goes on, as it must in production; in a test, a message
  // Telegram would refuse (too long, bad HTML, a bad keyboard, an unknown message to edit)
  // is a failure of the test, unless the test asked the fake for it (failNext).
  const refused = options.telegram.calls
    .slice(callsBefore)
    .filter((call) => call.response?.ok === false && call.response.error_code === 400)
    .filter((call) => !call.injected)
    // An edit that changes nothing is done for the sender too (a double tap redraws the same).
    .filter(
      (call) =>
        !(call.response?.ok === false && call.response.description.includes("not modified")),
    );
  if (refused.length > 0) {
    const reasons = refused.map((call) =>
      call.response?.ok === false ? `${call.method}: ${call.response.description}` : "",
    );
    throw new Error(`Telegram refused what the bot queued:\n${reasons.join("\n")}`);
  }
}

/**
 * A real bot on the test database, talking to the fake Bot API. Several TestBots on one
 * database behave like several instances of the service (or one restarted).
 */
export function createTestBot(options: {
  sql: Sql;
  telegram: FakeTelegram;
  clock?: FakeClock;
  env?: Record<string, string>;
  /** "default": the service's own limit (5 per 3 s, Redis when REDIS_URL is set). */
  rateLimit?: RateLimit | "default";
  secrets?: Secrets;
  /** The outgoing throttle the service runs with; off unless a test is about it. */
  throttle?: boolean;
  /** Replaces start()'s wait between attempts to reach the Bot API. */
  wait?: (ms: number) => Promise<void>;
  /** The started service's sender pace (default: none, as the harness's drain). */
  outboxLimits?: SendLimits;
  /** The pool the harness drains the outbox through (default: `sql`), so counts can leave it out. */
  outboxSql?: Sql;
}): TestBot {
  const clock = options.clock ?? new FakeClock();
  const logs = captureLogs();
  const config = loadConfig({
    BOT_TOKEN: TEST_BOT_TOKEN,
    TELEGRAM_API_ROOT: options.telegram.apiRoot,
    DATABASE_URL: "postgres://unused@127.0.0.1/unused",
    ...options.env,
  });
  const app = createApp({
    config,
    sql: options.sql,
    clock,
    log: logs.log,
    secrets: options.secrets ?? TEST_SECRETS,
    botInfo: TEST_BOT_INFO,
    // Tests send bursts from one user on purpose; the limiter has its own tests.
    ...(options.rateLimit === "default"
      ? {}
      : { rateLimit: options.rateLimit ?? { limit: 1000, windowMs: 1000 } }),
    throttle: options.throttle ?? false,
    // A started service's own sender, on a clock that stands still, sends without pacing.
    outboxLimits: options.outboxLimits ?? UNPACED,
    ...(options.wait ? { wait: options.wait } : {}),
    // This run's build, made by global-setup.ts; miniapp/dist is the developer's.
    miniAppDist: inject("miniAppDist"),
  });
  const drain = () =>
    drainOutbox({
      sql: options.outboxSql ?? options.sql,
      telegram: options.telegram,
      clock,
      log: logs.log,
      secrets: options.secrets ?? TEST_SECRETS,
    });
  // Reminders and digests go out through the outbox: delivered here before the test looks,
  // as after an update.
  const service: App = {
    ...app,
    deliverReminders: async () => {
      const counts = await app.deliverReminders();
      await drain();
      return counts;
    },
    deliverDigests: async () => {
      const queued = await app.deliverDigests();
      await drain();
      return queued;
    },
  };
  return {
    app: service,
    clock,
    logs,
    drain,
    send: async (update) => {
      await app.bot.handleUpdate(update);
      // Callback answers and uploads start after the commit; replies wait in the outbox.
      await app.background.idle();
      await drain();
    },
  };
}

export interface BotHarness {
  readonly sql: Sql;
  /** The test database's URL, for a process of its own (a script under test). */
  readonly url: string;
  readonly telegram: FakeTelegram;
  /** A fresh bot per test, on data emptied before each test. */
  readonly bot: TestBot;
  readonly updates: ReturnType<typeof makeUpdates>;
}

/**
 * The usual arrangement of a bot test file: its own database, one fake Bot API, and per
 * test emptied tables, a cleared call log, a new bot and a new update factory.
 */
export function useBotHarness(options: { env?: Record<string, string> } = {}): BotHarness {
  const db = useTestDatabase();
  let telegram: FakeTelegram | undefined;
  let bot: TestBot | undefined;
  let updates: ReturnType<typeof makeUpdates> | undefined;
  beforeAll(async () => {
    // The fake dates what the bot sends by the current test's clock.
    telegram = await startFakeTelegram({
      now: () => (bot ? bot.clock.now() : new Date(TEST_EPOCH)),
    });
  });
  afterAll(async () => {
    await telegram?.close();
  });
  beforeEach(async () => {
    await emptyTables(db.sql);
    const fake = ready(telegram);
    fake.clear();
    bot = createTestBot({
      sql: db.sql,
      telegram: fake,
      ...(options.env ? { env: options.env } : {}),
    });
    const clock = bot.clock;
    updates = makeUpdates({ now: () => clock.now() });
    // As start() does: the bot's caches of people hear of changes made elsewhere.
    await bot.app.people.listen();
    await bot.app.taskLists.listen();
  });
  afterEach(async () => {
    // What a test started of the service's own (timers, the outbox sender) stops with it.
    await bot?.app.reminderTimer.stop();
    await bot?.app.digestTimer.stop();
    await bot?.app.outbox.stop();
    await bot?.app.people.stop();
    await bot?.app.taskLists.stop();
  });
  return {
    get sql() {
      return db.sql;
    },
    get url() {
      return db.url;
    },
    get telegram() {
      return ready(telegram);
    },
    get bot() {
      return ready(bot);
    },
    get updates() {
      return ready(updates);
    },
  };
}

function ready<T>(value: T | undefined): T {
  if (value === undefined) throw new Error("the bot harness is used outside a test");
  return value;
}

/** The user gives consent to recording their messages, the way they would in private chat. */
export async function giveConsent(h: BotHarness, user: TestUser): Promise<void> {
  await h.bot.send(h.updates.privateText(user, "/consent"));
  await h.bot.send(pressOn(h.telegram, h.updates, user, user.id, "Record my messages"));
}
