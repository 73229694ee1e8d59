import { randomBytes } from "node:crypto";
import { Api } from "grammy";
import type { Sql } from "postgres";
import { z } from "zod";
import { systemClock } from "#bot/lib/clock";
import { createIdHasher, createLogger } from "#bot/lib/logger";
import { type SendLimits, TELEGRAM_LIMITS } from "#bot/outbox/budgets";
import { createOutboxSender } from "#bot/outbox/sender";
import { type OutgoingCall, queueCalls, queuedCount } from "#db/outbox";
import { createVault, type Vault } from "#db/vault";
import { type FakeTelegram, startFakeTelegram, TEST_BOT_TOKEN } from "#test/helpers/fake-telegram";
import { UNPACED } from "#test/helpers/limits";
import { onCleanUp, runBenchmark } from "./webhook/cleanup.ts";
import { openBenchDatabase } from "./webhook/database.ts";
import { fmt, print, seconds } from "./webhook/print.ts";

/**
 * The outbox sender draining BENCH_MESSAGES messages queued for BENCH_CHATS private chats:
 * first without pacing (what the sender itself costs, against the same messages sent straight
 * to the fake Bot API), then within Telegram's limits, where it prints the highest rate seen
 * in any second overall, the shortest gap between two messages to one chat, and duplicates.
 * Run with `npx tsx scripts/bench/outbox.ts`.
 */

const env = z
  .object({
    BENCH_MESSAGES: z.coerce.number().int().min(100).max(1_000_000).default(10_000),
    BENCH_CHATS: z.coerce.number().int().min(1).max(100_000).default(1_000),
    BENCH_DATABASE_URL: z.string().min(1).optional(),
    /** The sender's log level: "info" shows each 429 wait and retry. */
    BENCH_LOG: z.string().default("warn"),
  })
  .parse(process.env);

const FIRST_CHAT = 900_000_001;

/** Message n (from 0) goes to chat n mod chats, so every chat's queue interleaves with the others. */
function messages(count: number, chats: number): OutgoingCall[] {
  return Array.from({ length: count }, (_, n) => ({
    chatId: FIRST_CHAT + (n % chats),
    method: "sendMessage",
    params: {},
    text: `message ${Math.floor(n / chats)}`,
  }));
}

async function queueAll(sql: Sql, vault: Vault): Promise<void> {
  await queueCalls(sql, vault, messages(env.BENCH_MESSAGES, env.BENCH_CHATS), new Date());
}

interface Drain {
  ms: number;
  /** performance.now() at which the sender handed each call to the HTTP client, in order. */
  madeAt: number[];
  /** performance.now() at which each call reached the fake Bot API, in order. */
  sentAt: number[];
}

/** Starts a sender with `limits` and waits until the outbox is empty. */
async function drain(
  sql: Sql,
  vault: Vault,
  fake: FakeTelegram,
  limits: SendLimits,
): Promise<Drain> {
  const secret = randomBytes(32);
  const madeAt: number[] = [];
  const api = new Api(TEST_BOT_TOKEN, { apiRoot: fake.apiRoot });
  api.config.use((prev, method, payload, signal) => {
    madeAt.push(performance.now());
    return prev(method, payload, signal);
  });
  const sender = createOutboxSender({
    sql,
    vault,
    clock: systemClock,
    log: createLogger(env.BENCH_LOG),
    hashId: createIdHasher(secret),
    api,
    limits,
  });
  const sentAt: number[] = [];
  // The fake reports each call as it arrives: its arrival time is what Telegram would count.
  let draining = true;
  fake
    .waitForCalls((calls) => {
      const now = performance.now();
      while (sentAt.length < calls.length) sentAt.push(now);
      return !draining;
    }, 3_600_000)
    .catch(() => {});
  const started = performance.now();
  await sender.start();
  while ((await queuedCount(sql)) > 0) await new Promise((resolve) => setTimeout(resolve, 100));
  const ms = performance.now() - started;
  draining = false;
  await sender.stop();
  return { ms, madeAt, sentAt };
}

/** The most sends seen within any one second. */
function busiestSecond(times: readonly number[]): number {
  let most = 0;
  let first = 0;
  for (let last = 0; last < times.length; last++) {
    while ((times[last] ?? 0) - (times[first] ?? 0) >= 1000) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

/** Duplicates, chats out of order, and the shortest gap between two sends to one chat. */
function audit(fake: FakeTelegram, sentAt: readonly number[]) {
  const seen = new Map<number, string[]>();
  const lastAt = new Map<number, number>();
  let shortestGap = Number.POSITIVE_INFINITY;
  fake.calls.forEach((call, i) => {
    const chatId = Number(call.payload.chat_id);
    seen.set(chatId, [...(seen.get(chatId) ?? []), String(call.payload.text)]);
    const at = sentAt[i] ?? 0;
    const before = lastAt.get(chatId);
    if (before !== undefined) shortestGap = Math.min(shortestGap, at - before);
    lastAt.set(chatId, at);
  });
  let duplicates = 0;
  let outOfOrder = 0;
  for (const texts of seen.values()) {
    duplicates += texts.length - new Set(texts).size;
    const numbers = texts.map((text) => Number(text.split(" ")[1]));
    if (numbers.some((n, i) => i > 0 && n <= (numbers[i - 1] ?? -1))) outOfOrder++;
  }
  return { duplicates, outOfOrder, shortestGap, chats: seen.size };
}

async function bareSending(apiRoot: string, count: number): Promise<number> {
  const api = new Api(TEST_BOT_TOKEN, { apiRoot });
  const all = messages(count, env.BENCH_CHATS);
  const started = performance.now();
  for (let first = 0; first < all.length; first += 100) {
    await Promise.all(
      all.slice(first, first + 100).map((m) => api.sendMessage(m.chatId, m.text ?? "")),
    );
  }
  return performance.now() - started;
}

async function main(): Promise<number> {
  print("Task Tracker outbox benchmark");
  const fake = await startFakeTelegram();
  onCleanUp("fake Telegram", () => fake.close());
  const database = await openBenchDatabase(env.BENCH_DATABASE_URL);
  const vault = createVault([randomBytes(32)], randomBytes(32));
  const { sql } = database;
  const count = env.BENCH_MESSAGES;

  const baselineMs = await bareSending(fake.apiRoot, count);
  fake.clear();

  await queueAll(sql, vault);
  const unpaced = await drain(sql, vault, fake, UNPACED);
  const unpacedAudit = audit(fake, unpaced.sentAt);
  fake.clear();

  let started = performance.now();
  await queueAll(sql, vault);
  const queueMs = performance.now() - started;
  started = performance.now();
  const paced = await drain(sql, vault, fake, TELEGRAM_LIMITS);
  const pacedAudit = audit(fake, paced.sentAt);
  const peak = busiestSecond(paced.madeAt);
  const peakArrived = busiestSecond(paced.sentAt);

  const problems: string[] = [];
  for (const [mode, result] of [
    ["unpaced", unpacedAudit],
    ["paced", pacedAudit],
  ] as const) {
    if (result.duplicates > 0) problems.push(`${mode}: ${result.duplicates} duplicates`);
    if (result.outOfOrder > 0) problems.push(`${mode}: ${result.outOfOrder} chats out of order`);
  }
  if (fake.calls.length !== count) problems.push(`paced: ${fake.calls.length} sends, not ${count}`);
  if (peak > TELEGRAM_LIMITS.overallPerSecond) problems.push(`paced: ${peak} sends in one second`);
  // Paced by the sender's clock at the attempt; arrival jitters by a few ms.
  if (pacedAudit.shortestGap < TELEGRAM_LIMITS.perChatIntervalMs - 20) {
    problems.push(`paced: two sends to one chat ${fmt(pacedAudit.shortestGap, 0)} ms apart`);
  }

  print("");
  print(`Results (${fmt(count, 0)} messages for ${fmt(env.BENCH_CHATS, 0)} chats)`);
  print(
    `  baseline:  sent straight to the fake Bot API, 100 at a time: ${seconds(baselineMs)} (${fmt(count / (baselineMs / 1000), 0)}/s)`,
  );
  print(
    `  unpaced:   queued and drained by the sender in ${seconds(unpaced.ms)} (${fmt(count / (unpaced.ms / 1000), 0)}/s, ${fmt(unpaced.ms / baselineMs, 2)}× the baseline)`,
  );
  print(`  queueing:  ${fmt(count, 0)} rows written (sealed) in ${seconds(queueMs)}`);
  print(
    `  paced:     drained in ${seconds(paced.ms)} = ${fmt(count / (paced.ms / 1000), 1)}/s on average; busiest second ${peak} calls made (limit ${TELEGRAM_LIMITS.overallPerSecond}), ${peakArrived} arrived at the in-process fake; shortest gap in one chat ${fmt(pacedAudit.shortestGap, 0)} ms (limit ${TELEGRAM_LIMITS.perChatIntervalMs})`,
  );
  print(
    `  duplicates ${pacedAudit.duplicates}, chats out of order ${pacedAudit.outOfOrder}, chats reached ${pacedAudit.chats}`,
  );
  for (const problem of problems) print(`  PROBLEM: ${problem}`);
  return problems.length === 0 ? 0 : 1;
}

await runBenchmark(main, 30 * 60_000);
