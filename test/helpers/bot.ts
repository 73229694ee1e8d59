import type { Update } from "grammy/types";
import type { Sql } from "postgres";
import { type App, createApp } from "#bot/app";
import { loadConfig } from "#bot/config";
import type { RateLimit } from "#bot/telegram/bot";
import { FakeClock } from "./clock.ts";
import { type FakeTelegram, TEST_BOT_INFO, TEST_BOT_TOKEN } from "./fake-telegram.ts";
import { captureLogs } from "./logs.ts";

export interface TestBot {
  app: App;
  clock: FakeClock;
  logs: ReturnType<typeof captureLogs>;
  /** Delivers one update the way the webhook does, and waits until it is handled. */
  send(update: Update): Promise<void>;
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
  rateLimit?: RateLimit;
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
    botInfo: TEST_BOT_INFO,
    // Tests send bursts from one user on purpose; the limiter has its own test.
    rateLimit: options.rateLimit ?? { limit: 1000, windowMs: 1000 },
    throttle: false,
  });
  return { app, clock, logs, send: (update) => app.bot.handleUpdate(update) };
}
