import { randomBytes } from "node:crypto";
import { Api } from "grammy";
import type { Sql } from "postgres";
import { z } from "zod";
import { createApp } from "#bot/app";
import { loadConfig } from "#bot/config";
import { createIdHasher, createLogger } from "#bot/lib/logger";
import type { SendLimits } from "#bot/outbox/budgets";
import { createOutboxSender } from "#bot/outbox/sender";
import { queuedCount } from "#db/outbox";
import { sealLegacyTaskTexts } from "#db/task-texts";
import { createVault } from "#db/vault";
import { startFakeTelegram, TEST_BOT_INFO, TEST_BOT_TOKEN } from "#test/helpers/fake-telegram";
import { UNPACED } from "#test/helpers/limits";
import { onCleanUp, runBenchmark } from "./webhook/cleanup.ts";
import { openBenchDatabase } from "./webhook/database.ts";
import { fmt, print, seconds } from "./webhook/print.ts";

/**
 * 100,000 reminders due in the same minute, each to its own person: the time until all are
 * claimed and queued, and until the outbox (unpaced) has handed them to the (fake) Bot API,
 * then the rate of the outbox at Telegram's pace over BENCH_THROTTLED_SECONDS, which must
 * stay within Telegram's limit of about 30 messages a second. Run with `npm run bench:reminders`.
 */

const env = z
  .object({
    BENCH_REMINDERS: z.coerce.number().int().min(100).max(1_000_000).default(100_000),
    BENCH_THROTTLED_SECONDS: z.coerce.number().int().min(2).max(120).default(10),
    BENCH_DATABASE_URL: z.string().min(1).optional(),
  })
  .parse(process.env);

const DUE = new Date("2026-11-29T15:00:00Z");
const TELEGRAM_LIMIT_PER_SECOND = 30;

/** People who started the bot, each with one task due at DUE (its trigger adds the reminder). */
async function seed(sql: Sql, count: number): Promise<void> {
  await sql`
    insert into users (id, started_at)
    select 900000000 + n, ${DUE} from generate_series(1, ${count}) n
  `;
  await sql`
    insert into tasks (legacy_title, creator_id, due_at, due_has_time, created_at, updated_at)
    select 'Reminder ' || n, 900000000 + n, ${DUE}, true, ${DUE}, ${DUE}
    from generate_series(1, ${count}) n
  `;
  await sql`vacuum analyze reminders`;
}

/**
 * The baseline: the same number of messages handed straight to the fake Bot API, 100 at a
 * time as delivery sends them, with no database, no claim and no card to render.
 */
async function bareSending(apiRoot: string, count: number): Promise<number> {
  const api = new Api(TEST_BOT_TOKEN, { apiRoot });
  const batch = 100;
  const started = performance.now();
  for (let first = 0; first < count; first += batch) {
    const size = Math.min(batch, count - first);
    await Promise.all(
      Array.from({ length: size }, (_, i) =>
        api.sendMessage(900_000_001 + first + i, "⏰ Reminder"),
      ),
    );
  }
  return performance.now() - started;
}

async function main(): Promise<number> {
  print("Task Tracker reminders benchmark");
  const fake = await startFakeTelegram();
  onCleanUp("fake Telegram", () => fake.close());
  const database = await openBenchDatabase(env.BENCH_DATABASE_URL);

  let started = performance.now();
  await seed(database.sql, env.BENCH_REMINDERS);
  print(
    `  seeded ${fmt(env.BENCH_REMINDERS, 0)} reminders due at once in ${seconds(performance.now() - started)}`,
  );

  const config = loadConfig({
    BOT_TOKEN: TEST_BOT_TOKEN,
    TELEGRAM_API_ROOT: fake.apiRoot,
    DATABASE_URL: database.url,
    LOG_LEVEL: "warn",
  });
  const secrets = { encryptionKeys: [randomBytes(32)], hashSecret: randomBytes(32) };
  const vault = createVault(secrets.encryptionKeys, secrets.hashSecret);
  // Seeded in plain, sealed with this run's keys as the service does at start.
  await sealLegacyTaskTexts(database.sql, vault);
  // Time runs from DUE at the real pace: the outbox's budgets count in clock time.
  const startedAt = Date.now();
  const clock = { now: () => new Date(DUE.getTime() + (Date.now() - startedAt)) };
  const log = createLogger("warn");
  const app = createApp({ config, sql: database.sql, clock, log, secrets, botInfo: TEST_BOT_INFO });
  const sender = (limits?: SendLimits) =>
    createOutboxSender({
      sql: database.sql,
      vault,
      clock,
      log,
      hashId: createIdHasher(secrets.hashSecret),
      api: new Api(TEST_BOT_TOKEN, { apiRoot: fake.apiRoot }),
      ...(limits ? { limits } : {}),
    });

  const baselineMs = await bareSending(fake.apiRoot, env.BENCH_REMINDERS);
  fake.clear();
  started = performance.now();
  const unpaced = await app.deliverReminders();
  const queuedMs = performance.now() - started;
  const drainer = sender(UNPACED);
  await drainer.start();
  while ((await queuedCount(database.sql)) > 0) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await drainer.stop();
  const ms = performance.now() - started;
  const handedOver = fake.calls.filter((c) => c.method === "sendMessage").length;

  // Again, sent at the pace Telegram's limits require, for a while.
  await database.sql`update reminders set state = 'pending', done_at = null`;
  fake.clear();
  await app.deliverReminders();
  const paced = sender();
  started = performance.now();
  await paced.start();
  const window = env.BENCH_THROTTLED_SECONDS * 1000;
  await new Promise((resolve) => setTimeout(resolve, window));
  const sentThrottled = fake.calls.filter((c) => c.method === "sendMessage").length;
  const rate = sentThrottled / ((performance.now() - started) / 1000);
  await paced.stop();

  const problems: string[] = [];
  if (unpaced.queued !== env.BENCH_REMINDERS || handedOver !== env.BENCH_REMINDERS) {
    problems.push(
      `${unpaced.queued} reminders queued and ${handedOver} messages handed over, not ${env.BENCH_REMINDERS}`,
    );
  }
  if (rate > TELEGRAM_LIMIT_PER_SECOND * 1.1) {
    problems.push(`the paced rate ${fmt(rate, 1)}/s exceeds Telegram's ~30 messages/s`);
  }
  print("");
  print("Results");
  print(
    `  unpaced:  ${fmt(env.BENCH_REMINDERS, 0)} reminders claimed and queued in ${seconds(queuedMs)},` +
      ` all handed to the Bot API by the outbox after ${seconds(ms)}` +
      ` (${fmt(env.BENCH_REMINDERS / (ms / 1000), 0)}/s)`,
  );
  print(
    `  baseline: the same ${fmt(env.BENCH_REMINDERS, 0)} messages sent straight to the fake Bot API in ${seconds(baselineMs)}` +
      ` (${fmt(env.BENCH_REMINDERS / (baselineMs / 1000), 0)}/s); delivery takes ${fmt(ms / baselineMs, 2)}× as long`,
  );
  print(
    `  paced:    ${fmt(sentThrottled, 0)} sent in ${env.BENCH_THROTTLED_SECONDS} s = ${fmt(rate, 1)} messages/s` +
      ` (Telegram allows about ${TELEGRAM_LIMIT_PER_SECOND}/s to different chats)`,
  );
  for (const problem of problems) print(`  PROBLEM: ${problem}`);
  return problems.length === 0 ? 0 : 1;
}

await runBenchmark(main, 15 * 60_000);
