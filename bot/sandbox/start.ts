import { randomBytes } from "node:crypto";
import type { Sql } from "postgres";
import { type App, type AppDeps, createApp } from "#bot/app";
import type { Config } from "#bot/config";
import { MINIAPP_DIST } from "#bot/http/mini-app-static";
import type { Clock } from "#bot/lib/clock";
import { createIdHasher, type Logger } from "#bot/lib/logger";
import type { Secrets } from "#db/secrets";
import { createVault } from "#db/vault";
import { seedDemo } from "./demo.ts";
import { type BotApiEmulator, EMULATED_BOT_ID, startBotApiEmulator } from "./emulator/server.ts";
import { SANDBOX_BOT_USERNAME, SANDBOX_GROUP, SANDBOX_PEOPLE, telegramUser } from "./people.ts";
import { sandboxRoutes } from "./routes.ts";
import { emptyDatabase, seedSandbox } from "./seed.ts";

/** A token of the shape @BotFather gives, made up for the sandbox's emulator. */
export function sandboxToken(): string {
  return `${EMULATED_BOT_ID}:${randomBytes(24).toString("base64url")}`;
}

/**
 * The Mini App's address in the sandbox's buttons and menu. Telegram (and so the emulator)
 * opens only https addresses; this one is in the reserved .invalid domain, so nothing could
 * ever answer it: the sandbox page opens the app served here in its own frame instead.
 */
export const SANDBOX_MINI_APP_URL = "https://mini-app.sandbox.invalid/";

export interface Sandbox {
  app: App;
  emulator: BotApiEmulator;
  /** Seeds the people and the group, then starts the service with the emulator as Telegram. */
  start(): Promise<{ port: number; url: string }>;
  stop(): Promise<void>;
  /** Event streams open now: each ends when its page goes. */
  openStreams(): number;
}

/**
 * The real service with an in-process Bot API emulator standing in for Telegram: the bot, the
 * core, the outbox and the Mini App run as in production, and nothing leaves the machine.
 */
export async function createSandbox(deps: {
  config: Config;
  sql: Sql;
  clock: Clock;
  log: Logger;
  secrets: Secrets;
  miniAppDist?: string;
  heartbeatMs?: number;
  /** The service's pace and patience, for tests on a clock that stands still. */
  tuning?: Pick<AppDeps, "wait" | "outboxLimits" | "rateLimit" | "throttle">;
}): Promise<Sandbox> {
  if (!deps.config.sandbox || deps.config.production) {
    throw new Error("The sandbox runs only without BOT_TOKEN and never in production.");
  }
  const host = ["0.0.0.0", "::", ""].includes(deps.config.host) ? "127.0.0.1" : deps.config.host;
  let port = deps.config.port;
  const emulator = await startBotApiEmulator({
    botUsername: SANDBOX_BOT_USERNAME,
    now: () => deps.clock.now(),
    // The webhook's public address is not reachable here: deliveries go to this very server.
    webhookTarget: (url) => `http://${host}:${port}${new URL(url).pathname}`,
  });
  const config: Config = { ...deps.config, telegramApiRoot: emulator.apiRoot };
  const vault = createVault(deps.secrets.encryptionKeys, deps.secrets.hashSecret);
  const seedChats = () => {
    emulator.setChatMember(SANDBOX_GROUP.id, EMULATED_BOT_ID, "administrator");
    const [admin] = SANDBOX_PEOPLE;
    if (admin) emulator.setChatMember(SANDBOX_GROUP.id, admin.id, "creator");
  };
  let app: App | undefined;
  const sandbox = sandboxRoutes({
    emulator,
    botToken: config.botToken,
    botUsername: () => SANDBOX_BOT_USERNAME,
    clock: deps.clock,
    miniAppDist: deps.miniAppDist ?? MINIAPP_DIST,
    ...(deps.heartbeatMs === undefined ? {} : { heartbeatMs: deps.heartbeatMs }),
    demo: async () => {
      const seeded = await seedDemo({
        sql: deps.sql,
        vault,
        hashId: createIdHasher(deps.secrets.hashSecret),
        retention: { rules: deps.config.retention },
        now: deps.clock.now(),
        nextMessageId: () => emulator.takeMessageId(SANDBOX_GROUP.id),
      });
      // What the group "said" that week shows in its chat, as it would have in Telegram.
      const group = {
        id: SANDBOX_GROUP.id,
        type: "supergroup",
        title: SANDBOX_GROUP.title,
      } as const;
      for (const line of seeded.messages) {
        const author = SANDBOX_PEOPLE.find((person) => person.id === line.authorId);
        if (!author) continue;
        emulator.remember({
          chat: group,
          from: telegramUser(author),
          text: line.text,
          date: line.date,
          messageId: line.messageId,
          ...(line.replyToMessageId === null ? {} : { replyTo: line.replyToMessageId }),
        });
      }
      if (app) await Promise.all([app.people.caughtUp(), app.taskLists.caughtUp()]);
    },
    reset: async () => {
      // A message the outbox is sending as the chats are forgotten would arrive after them:
      // the sender stops first (letting what is in flight land), and starts on the new start.
      await app?.outbox.stop();
      await emptyDatabase(deps.sql);
      emulator.forgetChats();
      await seedSandbox(deps.sql, vault, deps.clock.now());
      await app?.outbox.start();
      // The caches of people and lists have heard of the emptying before anyone asks again.
      if (app) await Promise.all([app.people.caughtUp(), app.taskLists.caughtUp()]);
    },
  });
  app = createApp({
    config,
    sql: deps.sql,
    clock: deps.clock,
    log: deps.log,
    secrets: deps.secrets,
    sandboxRoutes: sandbox.routes,
    miniAppUrl: SANDBOX_MINI_APP_URL,
    ...(deps.miniAppDist ? { miniAppDist: deps.miniAppDist } : {}),
    ...deps.tuning,
  });
  const started = app;
  return {
    app: started,
    emulator,
    async start() {
      seedChats();
      await seedSandbox(deps.sql, vault, deps.clock.now());
      const result = await started.start();
      port = result.port;
      return { port, url: `http://${host}:${port}/sandbox` };
    },
    openStreams: () => sandbox.openStreams(),
    async stop() {
      sandbox.closeStreams();
      await started.stop();
      await emulator.close();
    },
  };
}
