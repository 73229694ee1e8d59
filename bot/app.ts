import { type RunnerHandle, run } from "@grammyjs/runner";
import { type ServerType, serve } from "@hono/node-server";
import { Api, type Bot } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import type { Hono } from "hono";
import type { Redis } from "ioredis";
import type { Sql } from "postgres";
import { outboxBacklog } from "#db/outbox";
import type { Secrets } from "#db/secrets";
import { sealLegacyTaskTexts } from "#db/task-texts";
import { createVault, type Vault } from "#db/vault";
import type { Config } from "./config.ts";
import { deliverDueDigests, digestWork } from "./digests/deliver.ts";
import { createInitDataValidator } from "./http/auth/init-data.ts";
import { miniAppApi } from "./http/mini-app-api.ts";
import { miniAppRoutes } from "./http/mini-app-static.ts";
import { createHttpApp } from "./http/server.ts";
import { ALLOWED_UPDATES, webhookRegistration, webhookRoutes } from "./http/webhook.ts";
import { BackgroundWork } from "./lib/background.ts";
import type { Clock } from "./lib/clock.ts";
import { createDueTimer, type DueTimer } from "./lib/due-timer.ts";
import { type TaskListCache, taskListCache } from "./lib/list-cache.ts";
import { createIdHasher, type Logger } from "./lib/logger.ts";
import {
  createRateLimiter,
  memoryRateLimitStore,
  type RateLimitStore,
  redisRateLimitStore,
} from "./lib/rate-limit.ts";
import type { RetentionSettings } from "./lib/retention-settings.ts";
import { type Scheduler, startJobs } from "./lib/schedule.ts";
import { countRequests, metricsRoutes } from "./metrics/http.ts";
import { countConnections } from "./metrics/pool.ts";
import { countRefusals } from "./metrics/rate-limits.ts";
import { createMetrics, type Metrics } from "./metrics/registry.ts";
import { countTelegramCalls } from "./metrics/telegram-calls.ts";
import type { SendLimits } from "./outbox/budgets.ts";
import { createOutboxSender, type OutboxSender } from "./outbox/sender.ts";
import { type PeopleChanges, peopleChanges } from "./people/changes.ts";
import { privacyRoutes } from "./privacy/notice-page.ts";
import { type DeliveryCounts, deliverDueReminders, reminderWork } from "./reminders/deliver.ts";
import { purgeJob } from "./retention/purge.ts";
import { allCommands, createBot, type RateLimit } from "./telegram/bot.ts";
import type { BotContext, Services } from "./telegram/context.ts";
import { untilTelegramReached } from "./telegram/reach.ts";

export interface AppDeps {
  config: Config;
  sql: Sql;
  clock: Clock;
  log: Logger;
  secrets: Secrets;
  /** Replaces the vault built from `secrets`: the privacy benchmark measures a no-op one. */
  vault?: Vault;
  /** Skips getMe at start when known. */
  botInfo?: UserFromGetMe;
  /** Per-user update limit; defaults to 5 per 3 s. */
  rateLimit?: RateLimit;
  /** Outgoing throttle within Telegram's limits; on unless a benchmark turns it off. */
  throttle?: boolean;
  /** The outbox sender's pace: Telegram's limits unless a test on a frozen clock lifts them. */
  outboxLimits?: SendLimits;
  /** Updates processed at once; each holds a pooled connection. */
  maxUpdatesInFlight?: number;
  /** Waits between attempts to reach the Bot API at start; tests decide when it ends. */
  wait?: (ms: number) => Promise<void>;
  /** The built Mini App served at / (default miniapp/dist); tests serve a build of their own. */
  miniAppDist?: string;
  /** The sandbox's routes (bot/sandbox), mounted only when the service runs as the sandbox. */
  sandboxRoutes?: Hono;
  /**
   * Where Telegram opens the Mini App; otherwise PUBLIC_URL when it is https. The sandbox names
   * an address of its own, which its page opens in a frame of its own.
   */
  miniAppUrl?: string;
}

export interface App {
  bot: Bot<BotContext>;
  http: Hono;
  /** Per-process caches of people; start() listens for changes made on other instances. */
  people: PeopleChanges;
  /** The API's task lists as answered; start() listens for what changes them. */
  taskLists: TaskListCache;
  /** Delivers the outbox (messages written in the transactions that caused them); start() starts it. */
  outbox: OutboxSender;
  /** After-commit work of updates (callback answers, uploads, purges): tests wait for it. */
  background: BackgroundWork;
  /** Queues the reminders that are due now: what the reminder timer runs at their moment. */
  deliverReminders(): Promise<DeliveryCounts>;
  /** Queues the daily digests whose time has come: what the digest timer runs. */
  deliverDigests(): Promise<number>;
  /** Runs deliverReminders at the next reminder's moment, re-armed on any instance's change; start() starts it. */
  reminderTimer: DueTimer;
  /** The same for digests. */
  digestTimer: DueTimer;
  /** Listens, starts polling or registers the webhook, and starts the timers and jobs. */
  start(): Promise<{ port: number }>;
  /**
   * Turns /readyz to 503 and refuses new deliveries (503: Telegram delivers them again, to
   * another instance), stops listening, lets the updates and sends in flight finish, then
   * stops the jobs.
   */
  stop(): Promise<void>;
  /** This app's metrics (its own registry), served at /metrics when METRICS_TOKEN is set. */
  metrics: Metrics;
}

/** The outbox's depth is counted up to this, so a scrape stays cheap however long the queue. */
const OUTBOX_DEPTH_CAP = 100_000;

/** Builds the bot, the HTTP server and the jobs from explicit dependencies. */
export function createApp(deps: AppDeps): App {
  const { config, clock, log } = deps;
  const metrics = createMetrics({
    clock,
    log,
    poolSize: deps.sql.options.max,
    outboxBacklog: () => outboxBacklog(deps.sql, OUTBOX_DEPTH_CAP),
  });
  // Everything below uses the pool through this handle, which counts the connections held.
  const sql = countConnections(deps.sql, metrics);
  // Shared counters let several instances enforce one limit per user. ioredis is loaded
  // only when configured (it costs ~130 ms of start-up), so the store connects in start().
  let redis: Redis | undefined;
  const connected = (): Redis => {
    if (!redis) throw new Error("Redis is used before start()");
    return redis;
  };
  const rateLimit = deps.rateLimit ?? {
    limit: 5,
    windowMs: 3000,
    ...(config.redisUrl
      ? {
          store: {
            incr: (key: string) => connected().incr(key),
            pexpire: (key: string, ms: number) => connected().pexpire(key, ms),
          },
        }
      : {}),
  };
  const retention: RetentionSettings = {
    rules: config.retention,
    batchSize: config.purgeBatchSize,
    auditRetentionDays: config.auditRetentionDays,
    purgeIntervalMinutes: config.purgeIntervalMinutes,
  };
  const services: Services = {
    sql,
    clock,
    log,
    hashId: createIdHasher(deps.secrets.hashSecret),
    vault: deps.vault ?? createVault(deps.secrets.encryptionKeys, deps.secrets.hashSecret),
    adminIds: config.adminIds,
    retention,
    miniAppUrl:
      deps.miniAppUrl ?? (config.publicUrl?.startsWith("https://") ? `${config.publicUrl}/` : null),
    people: peopleChanges(sql, log),
    taskLists: taskListCache(sql, log),
    background: new BackgroundWork(log),
  };
  const bot = createBot({
    token: config.botToken,
    apiRoot: config.telegramApiRoot,
    ...(deps.botInfo ? { botInfo: deps.botInfo } : {}),
    services,
    rateLimit,
    throttle: deps.throttle ?? true,
    maxUpdatesInFlight: deps.maxUpdatesInFlight ?? 16,
    metrics,
  });
  const webhookUpdates = new Set<Promise<void>>();
  const webhook = config.botMode === "webhook" && config.webhookSecret;
  // API limits count in memory, or in Redis once start() has connected it.
  let limitStore: RateLimitStore = memoryRateLimitStore();
  const sharedStore: RateLimitStore = {
    hit: (...args) => limitStore.hit(...args),
    current: (...args) => limitStore.current(...args),
  };
  const MINUTE = 60_000;
  // Not ready while start() is still trying to reach the Bot API: updates cannot be answered.
  let reachingTelegram = false;
  // Not ready from the first moment of stop(), so a balancer sends elsewhere while the
  // updates in flight finish.
  let stopping = false;
  const api = miniAppApi({
    app: services,
    corsOrigins: config.corsOrigins,
    auth: {
      validate: createInitDataValidator(config.botToken, {
        maxAgeSeconds: config.initDataMaxAgeSeconds,
      }),
      perUser: countRefusals(
        createRateLimiter(sharedStore, { limit: config.apiRateLimitPerMinute, windowMs: MINUTE }),
        metrics,
        "api_requests",
      ),
      failuresPerIp: countRefusals(
        createRateLimiter(sharedStore, {
          limit: config.apiAuthFailuresPerMinute,
          windowMs: MINUTE,
        }),
        metrics,
        "api_auth_failures",
      ),
      trustedProxies: config.trustProxy,
    },
  });
  const http = createHttpApp(
    sql,
    log,
    [
      privacyRoutes(sql, config.retention),
      api,
      miniAppRoutes({
        botUsername: () => (bot.isInited() ? bot.botInfo.username : null),
        ...(deps.miniAppDist ? { dist: deps.miniAppDist } : {}),
      }),
      ...(webhook
        ? [
            webhookRoutes(
              bot,
              config.webhookSecret ?? "",
              webhookUpdates,
              () => !stopping && !reachingTelegram,
            ),
          ]
        : []),
      ...(config.metricsToken ? [metricsRoutes(metrics.registry, config.metricsToken)] : []),
      ...(deps.sandboxRoutes ? [deps.sandboxRoutes] : []),
    ],
    {
      https: config.publicUrl?.startsWith("https://") ?? false,
      waitingFor: () => {
        if (stopping) return "shutting down";
        return reachingTelegram ? "the Bot API has not been reached yet" : undefined;
      },
      countRequests: countRequests(metrics),
    },
  );

  // Its own client, without auto-retry and throttle: the sender paces and retries per chat.
  const outboxApi = new Api(config.botToken, { apiRoot: config.telegramApiRoot });
  outboxApi.config.use(countTelegramCalls(metrics, "outbox"));
  const outbox = createOutboxSender({
    ...services,
    api: outboxApi,
    ...(deps.outboxLimits ? { limits: deps.outboxLimits } : {}),
  });

  let server: ServerType | undefined;
  let runner: RunnerHandle | undefined;
  let jobs: Scheduler | undefined;

  const reminders = {
    ...services,
    botUsername: () => (bot.isInited() ? bot.botInfo.username : null),
  };
  const reminderTimer = createDueTimer(reminderWork(reminders, metrics.jobs), { clock, log });
  const digestTimer = createDueTimer(digestWork(reminders, metrics.jobs), { clock, log });
  return {
    bot,
    http,
    people: services.people,
    taskLists: services.taskLists,
    outbox,
    background: services.background,
    deliverReminders: () => deliverDueReminders(reminders),
    deliverDigests: () => deliverDueDigests(reminders),
    reminderTimer,
    digestTimer,
    metrics,
    async start() {
      // Before anything reads a task: texts an older version stored in plain get sealed.
      const sealed = await sealLegacyTaskTexts(sql, services.vault);
      if (sealed > 0) log.info({ tasks: sealed }, "sealed task texts stored in plain");
      if (config.redisUrl) {
        const { Redis } = await import("ioredis");
        redis = new Redis(config.redisUrl, { lazyConnect: true });
        await redis.connect();
        limitStore = redisRateLimitStore(redis, "tt:api:");
      }
      // Before the first update or request: what is cached about people is kept true from here.
      await services.people.listen();
      await services.taskLists.listen();
      // Listen first: /healthz answers while the bot introduces itself to Telegram.
      const port = await new Promise<number>((resolve) => {
        server = serve({ fetch: http.fetch, hostname: config.host, port: config.port }, (info) =>
          resolve(info.port),
        );
      });
      // Every call here is idempotent, so a failed attempt is simply made again.
      const introduce = async () => {
        await bot.init();
        const commands = bot.api.setMyCommands(allCommands);
        // The chat's menu button opens the Mini App (Telegram opens only https addresses).
        const menu = services.miniAppUrl
          ? bot.api.setChatMenuButton({
              menu_button: {
                type: "web_app",
                text: "Tasks",
                web_app: { url: services.miniAppUrl },
              },
            })
          : Promise.resolve(true);
        const hook = webhookRegistration(config.publicUrl ?? "", config.webhookSecret ?? "");
        // Settled together, so a failed attempt leaves no call behind to reject unobserved.
        const results = await Promise.allSettled([
          config.botMode === "webhook"
            ? bot.api.setWebhook(hook.url, hook.options)
            : bot.api.deleteWebhook(),
          commands,
          menu,
        ]);
        for (const result of results) {
          if (result.status === "rejected") throw result.reason;
        }
      };
      reachingTelegram = true;
      await untilTelegramReached(introduce, {
        apiRoot: config.telegramApiRoot,
        log,
        wait: deps.wait ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      });
      reachingTelegram = false;
      if (config.botMode !== "webhook") {
        runner = run(bot, { runner: { fetch: { allowed_updates: [...ALLOWED_UPDATES] } } });
      }
      jobs = startJobs(
        retention.purgeIntervalMinutes > 0
          ? [purgeJob({ sql, clock, log, retention }, metrics.jobs)]
          : [],
        log,
      );
      await reminderTimer.start();
      await digestTimer.start();
      await outbox.start();
      log.info({ port, mode: config.botMode }, "service started");
      return { port };
    },
    async stop() {
      stopping = true;
      log.info(
        { updatesInFlight: webhookUpdates.size },
        "stopping: not ready, finishing what is in flight",
      );
      if (runner?.isRunning()) {
        const polling = runner;
        await polling.stop();
        // stop() resolves once polling has ended, not once the updates it took are handled:
        // their transactions (and the outbox rows they write) must commit before the pool closes.
        while (polling.size() > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await new Promise<void>((resolve) => {
        if (!server) return resolve();
        server.close(() => resolve());
      });
      await Promise.allSettled([...webhookUpdates]);
      await services.background.idle();
      await jobs?.stop();
      await Promise.all([reminderTimer.stop(), digestTimer.stop()]);
      await outbox.stop();
      await services.people.stop();
      await services.taskLists.stop();
      redis?.disconnect();
    },
  };
}
