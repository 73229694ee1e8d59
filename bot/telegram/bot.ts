import { conversations } from "@grammyjs/conversations";
import { limit } from "@grammyjs/ratelimiter";
import { Bot, GrammyError } from "grammy";
import type { BotCommand, UserFromGetMe } from "grammy/types";
import { ADMIN_ONLY_IN_GROUPS, digestCommands, digestsFeature } from "#bot/digests/commands";
import { ingestChatterInBatches } from "#bot/ingest/pipeline";
import { DomainError } from "#bot/lib/errors";
import { describeError } from "#bot/lib/logger";
import type { Metrics } from "#bot/metrics/registry";
import { countTelegramCalls } from "#bot/metrics/telegram-calls";
import { countUpdates } from "#bot/metrics/updates";
import { privacyCommands, privacyFeature } from "#bot/privacy/commands";
import { askAgainOnNewNotice } from "#bot/privacy/consent-commands";
import { recordMessages } from "#bot/privacy/record";
import { reminderCommands, remindersFeature } from "#bot/reminders/commands";
import { retentionFeature } from "#bot/retention/commands";
import { mayAnswerAForm, newTaskForm, taskCommands, tasksFeature } from "#bot/tasks/commands";
import { recurringFeature, repeatCommands } from "#bot/tasks/recurring/commands";
import { knownPeople, trackPeople } from "#bot/teams/track";
import { welcomeCommands, welcomeFeature } from "#bot/welcome/commands";
import { configureOutgoing } from "./api.ts";
import type { BaseContext, BotContext, Services } from "./context.ts";
import { conversationStorage, dropConversation } from "./conversation-storage.ts";
import { askSenderStatusFirst } from "./sender-status.ts";
import { exactlyOnce } from "./updates.ts";

/** The two Redis commands @grammyjs/ratelimiter uses (ioredis provides them). */
export interface RatelimiterRedis {
  incr(key: string): Promise<number>;
  pexpire(key: string, milliseconds: number): Promise<number>;
}

export interface RateLimit {
  /** Updates allowed per user per window. */
  limit: number;
  windowMs: number;
  /** A shared store (Redis) so several instances count together; memory otherwise. */
  store?: RatelimiterRedis;
}

export interface BotOptions {
  token: string;
  apiRoot: string;
  /** Known bot identity: skips getMe at start (tests and benchmarks pass it). */
  botInfo?: UserFromGetMe;
  services: Services;
  rateLimit: RateLimit;
  throttle: boolean;
  maxUpdatesInFlight: number;
  /** Counts updates and Bot API calls (the app's registry). */
  metrics: Metrics;
}

/** Every command of every capability, for /help and Telegram's command menu. */
export const allCommands: BotCommand[] = [
  ...welcomeCommands,
  ...taskCommands,
  ...repeatCommands,
  ...reminderCommands,
  ...digestCommands,
  ...privacyCommands,
];

/** Chatter updates per batch: ~8 parameters a row keeps the largest statement far below 65,534. */
const CHATTER_BATCH = 500;
/** Chatter batches written at once (each on its own connection): one per core here. */
const CHATTER_SHARDS = 2;

const APOLOGY = "Sorry, something went wrong on my side. Please try again.";

/** The edge where handler errors become replies: domain errors say what was wrong. */
async function reportHandlerError(ctx: BotContext, error: unknown): Promise<void> {
  const known = error instanceof DomainError;
  if (!known) {
    ctx.services.log.error(
      { updateId: ctx.update.update_id, err: describeError(error) },
      "update handler failed",
    );
    // A failed step must not leave a form waiting on a replay that fails again.
    await dropConversation(ctx);
  }
  const text = known ? error.message : APOLOGY;
  try {
    if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text, show_alert: !known });
    else if (ctx.chatId !== undefined && ctx.message) await ctx.reply(text);
  } catch (replyError) {
    ctx.services.log.warn(
      { updateId: ctx.update.update_id, err: describeError(replyError) },
      "could not report error",
    );
  }
}

/**
 * The bot, its middleware in order: metrics → services → rate limit → per-chat order, where chatter
 * leaves for batched ingest → exactly-once transaction → who is who → recording consented messages → conversations →
 * features.
 */
export function createBot(options: BotOptions): Bot<BotContext> {
  const { services } = options;
  const bot = new Bot<BotContext>(options.token, {
    client: { apiRoot: options.apiRoot },
    ...(options.botInfo ? { botInfo: options.botInfo } : {}),
  });
  // First, so it sits closest to the wire: every attempt is counted, each retry too.
  bot.api.config.use(countTelegramCalls(options.metrics, "direct"));
  configureOutgoing(bot.api, services.sql, services.clock, { throttle: options.throttle });

  const counted = countUpdates(options.metrics);
  bot.use(counted.first);
  bot.use((ctx, next) => {
    ctx.services = services;
    return next();
  });
  bot.use(
    limit<BotContext, RatelimiterRedis>({
      timeFrame: options.rateLimit.windowMs,
      limit: options.rateLimit.limit,
      storageClient: options.rateLimit.store ?? "MEMORY_STORE",
      keyPrefix: "tt:rate:",
      // Called once per window, on the first update over the limit.
      onLimitExceeded: (ctx) => {
        const text = "Slow down a little: I'll answer again in a few seconds.";
        // Said in the background: the update ends here and must not wait on Telegram.
        ctx.services.background.start("slow-down notice", async () => {
          if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text });
          else if (ctx.message) await ctx.reply(text);
        });
      },
    }),
  );
  bot.use(counted.passedRateLimit);
  const known = knownPeople(services.people);
  // Chatter is written in batches and leaves here; the rest goes on in its chat's order.
  bot.use(
    ingestChatterInBatches(services, known, { maxBatch: CHATTER_BATCH, shards: CHATTER_SHARDS })
      .middleware,
  );
  // Before the transaction: what Telegram must be asked is asked while nothing is held.
  bot.use(askSenderStatusFirst(ADMIN_ONLY_IN_GROUPS));
  bot.use(exactlyOnce(services.sql, reportHandlerError, options.maxUpdatesInFlight));
  bot.use(trackPeople(known));
  bot.use(recordMessages());

  const interactive = bot.on(["message", "callback_query:data"]);
  // Reading form state costs a query, so only updates a form could answer pay for it.
  const forms = interactive.filter(mayAnswerAForm);
  forms.use(
    conversations<BaseContext, BotContext>({
      storage: conversationStorage(),
    }),
  );
  forms.use(newTaskForm());
  interactive.use(askAgainOnNewNotice());
  interactive.use(welcomeFeature(allCommands));
  interactive.use(tasksFeature());
  interactive.use(recurringFeature());
  interactive.use(privacyFeature());
  interactive.use(retentionFeature());
  interactive.use(remindersFeature());
  interactive.use(digestsFeature());

  bot.catch((error) => {
    services.log.error(
      { updateId: error.ctx.update.update_id, err: describeError(error.error) },
      error.error instanceof GrammyError
        ? "Telegram call failed outside a handler"
        : "update failed",
    );
  });
  return bot;
}
