import type { MiddlewareFn } from "grammy";
import type { Update } from "grammy/types";
import type { BotContext } from "#bot/telegram/context";
import type { Metrics } from "./registry.ts";

const TYPES = new Set([
  "message",
  "edited_message",
  "callback_query",
  "chat_member",
  "my_chat_member",
]);

/** The update's kind (its one field besides update_id); anything unexpected is "other". */
function typeOf(update: Update): string {
  for (const key of Object.keys(update)) {
    if (key !== "update_id") return TYPES.has(key) ? key : "other";
  }
  return "other";
}

/**
 * First in the pipeline: counts each update by type and outcome and times it until its end
 * (its commit, or its batch's). The later stages tell the outcome on the context; an update
 * the rate limit stopped never reaches the stage after it, which marks it passed.
 */
export function countUpdates(metrics: Metrics): {
  first: MiddlewareFn<BotContext>;
  passedRateLimit: MiddlewareFn<BotContext>;
} {
  return {
    first: async (ctx, next) => {
      const started = performance.now();
      const type = typeOf(ctx.update);
      ctx.outcome = "rate_limited";
      try {
        await next();
      } catch (error) {
        ctx.outcome = "error";
        throw error;
      } finally {
        const outcome = ctx.outcome;
        metrics.updates.inc({ type, outcome });
        metrics.updateSeconds.observe({ type }, (performance.now() - started) / 1000);
        if (outcome === "rate_limited") metrics.rateLimitRefusals.inc({ limiter: "bot_updates" });
      }
    },
    passedRateLimit: (ctx, next) => {
      ctx.outcome = "handled";
      return next();
    },
  };
}
