import { randomBytes } from "node:crypto";
import { type ServerType, serve } from "@hono/node-server";
import { Bot } from "grammy";
import type { Hono } from "hono";
import { z } from "zod";
import { createApp } from "#bot/app";
import { loadConfig } from "#bot/config";
import { createHttpApp } from "#bot/http/server";
import { webhookRoutes } from "#bot/http/webhook";
import { systemClock } from "#bot/lib/clock";
import { createLogger } from "#bot/lib/logger";
import type { BotContext } from "#bot/telegram/context";
import { createSql } from "#db/client";
import { TEST_BOT_INFO } from "#test/helpers/fake-telegram";
import { UNPACED } from "#test/helpers/limits";

/**
 * The service under test for scripts/bench/webhook.ts, in a process of its own so that its
 * memory and CPU are measured apart from the load generator and the fake Bot API.
 *
 *   app       the real createApp(...) in webhook mode, throttle off, rate limit raised
 *   baseline  the same HTTP stack and webhook route in front of a bot that does nothing
 *
 * Configuration comes from the environment (loadConfig); the parent talks over IPC.
 */

export type ServerMode = "app" | "baseline";

/** What the parent sends. */
export type ParentMessage = { type: "stats" } | { type: "drain" } | { type: "stop" };

/** What this process sends back. */
export type ChildMessage =
  | { type: "ready"; port: number }
  | { type: "stats"; peakRssBytes: number; rssBytes: number; cpuMicros: number }
  /** Every request had finished (`inFlight` 0), or the wait gave up after `ms`. */
  | { type: "drained"; ms: number; inFlight: number }
  | { type: "failed"; message: string };

const parentMessage = z.discriminatedUnion("type", [
  z.object({ type: z.literal("stats") }),
  z.object({ type: z.literal("drain") }),
  z.object({ type: z.literal("stop") }),
]);

const SAMPLE_EVERY_MS = 50;
const DRAIN_TIMEOUT_MS = 10_000;

interface Running {
  port: number;
  stop(): Promise<void>;
}

/**
 * Counts requests being handled. A load generator that stops closes its sockets while
 * updates are still queued behind their chat; the server no longer sees those requests,
 * so stopping cleanly means waiting until they have finished.
 */
function countInFlight(http: Hono) {
  const handle = http.fetch;
  let inFlight = 0;
  let wake: (() => void) | undefined;
  http.fetch = async (...args) => {
    inFlight++;
    try {
      return await handle(...args);
    } finally {
      inFlight--;
      if (inFlight === 0) wake?.();
    }
  };
  return {
    async idle(timeoutMs: number): Promise<{ ms: number; inFlight: number }> {
      const started = performance.now();
      if (inFlight > 0) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, timeoutMs);
        });
        clearTimeout(timer);
        wake = undefined;
      }
      return { ms: performance.now() - started, inFlight };
    },
  };
}

let requests: ReturnType<typeof countInFlight> | undefined;

const send = (message: ChildMessage) => process.send?.(message);

const mode = z.enum(["app", "baseline"]).parse(process.argv[2]);
const config = loadConfig(process.env);
const log = createLogger(config.logLevel);

let peakRss = process.memoryUsage.rss();
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, SAMPLE_EVERY_MS);

let running: Running | undefined;
let stopping = false;
async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    clearInterval(sampler);
    await running?.stop().catch((error: unknown) => {
      process.stderr.write(`stop failed: ${(error as Error).message}\n`);
      code = 1;
    });
  }
  process.exit(code);
}

process.on("message", (raw: unknown) => {
  const parsed = parentMessage.safeParse(raw);
  if (!parsed.success) return;
  if (parsed.data.type === "stop") {
    void stop(0);
    return;
  }
  if (parsed.data.type === "drain") {
    void requests?.idle(DRAIN_TIMEOUT_MS).then((drained) => send({ type: "drained", ...drained }));
    return;
  }
  const cpu = process.cpuUsage();
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  send({
    type: "stats",
    peakRssBytes: peakRss,
    rssBytes: process.memoryUsage.rss(),
    cpuMicros: cpu.user + cpu.system,
  });
});
process.on("SIGTERM", () => void stop(0));
// The parent died: nobody will ever ask us to stop.
process.on("disconnect", () => void stop(0));

try {
  running = mode === "app" ? await startApp() : await startBaseline();
  send({ type: "ready", port: running.port });
} catch (error) {
  send({ type: "failed", message: error instanceof Error ? error.message : String(error) });
  await stop(1);
}

/** The real service, as main.ts builds it, minus the limits a flood of 100 chats would hit. */
async function startApp(): Promise<Running> {
  const sql = createSql(config.databaseUrl ?? "");
  // What an earlier mode left queued was sealed with that run's throwaway keys: no run's
  // measure should include dropping it.
  await sql`delete from outbox`;
  const app = createApp({
    config,
    sql,
    clock: systemClock,
    log,
    // A throwaway database: fresh secrets each run.
    secrets: { encryptionKeys: [randomBytes(32)], hashSecret: randomBytes(32) },
    botInfo: TEST_BOT_INFO,
    // On purpose far beyond Telegram's real limits: we measure our code, not theirs.
    throttle: false,
    rateLimit: { limit: 1_000_000, windowMs: 1000 },
    // The replies are sent, as in production, only not paced: their cost is part of the run.
    outboxLimits: UNPACED,
  });
  // Before start(): it hands http.fetch to the server.
  requests = countInFlight(app.http);
  const { port } = await app.start();
  return {
    port,
    stop: async () => {
      await app.stop();
      await sql.end({ timeout: 5 });
    },
  };
}

/**
 * The ceiling: node-server, Hono, the same webhook route (body limit, secret check, update
 * parsing) and grammY's handleUpdate, with a single no-op middleware behind it.
 */
async function startBaseline(): Promise<Running> {
  // Typed as the app's bot only so the shared route accepts it; the no-op never reads ctx.
  const bot = new Bot<BotContext>(config.botToken, {
    botInfo: TEST_BOT_INFO,
    client: { apiRoot: config.telegramApiRoot },
  });
  bot.use(() => {});
  // /readyz is the only route that queries; the pool opens no connection until then.
  const sql = createSql(config.databaseUrl ?? "postgres://127.0.0.1/none");
  const http = createHttpApp(sql, log, [webhookRoutes(bot, config.webhookSecret ?? "", new Set())]);
  requests = countInFlight(http);
  let server: ServerType | undefined;
  const port = await new Promise<number>((resolve) => {
    server = serve({ fetch: http.fetch, hostname: config.host, port: config.port }, (info) =>
      resolve(info.port),
    );
  });
  return {
    port,
    stop: async () => {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      await sql.end({ timeout: 1 });
    },
  };
}
