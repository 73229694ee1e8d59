import type { Context, MiddlewareFn, NextFunction } from "grammy";
import type { Sql } from "postgres";
import { describeError } from "#bot/lib/logger";
import { Semaphore } from "#bot/lib/semaphore";
import { claimUpdate } from "#db/updates";
import type { BotContext } from "./context.ts";

/** The key that orders updates: the chat, or the user for chat-less updates. */
export function orderingKey(ctx: Context): number | undefined {
  return ctx.chatId ?? ctx.from?.id;
}

export type HandlerErrorReporter = (ctx: BotContext, error: unknown) => Promise<void>;

/**
 * Exactly-once and ordered across instances: each update runs in one transaction that
 * first takes the chat's advisory lock and records the update id. A duplicate waits
 * for the original, then sees its id and is dropped. When a handler fails, its writes
 * roll back with the transaction (nothing half-saved); a second, small transaction then
 * records the update and reports the error, so a poison update is not retried forever.
 * Messages to other people wait until the transaction has committed.
 */
export function exactlyOnce(
  sql: Sql,
  onError: HandlerErrorReporter,
  maxInFlight: number,
): MiddlewareFn<BotContext> {
  // Each update in flight holds a pooled connection for its transaction; leaving a few
  // free keeps after-commit effects and jobs from starving behind them.
  const inFlight = new Semaphore(maxInFlight);
  return (ctx, next) => inFlight.run(() => processOnce(sql, onError, ctx, next));
}

async function processOnce(
  sql: Sql,
  onError: HandlerErrorReporter,
  ctx: BotContext,
  next: NextFunction,
): Promise<void> {
  const effects: Array<() => Promise<unknown>> = [];
  const updateId = ctx.update.update_id;
  const lockKey = orderingKey(ctx) ?? 0;
  ctx.afterCommit = (effect) => {
    effects.push(effect);
  };
  let fresh = false;
  try {
    await sql.begin(async (tx) => {
      fresh = await claimUpdate(tx, updateId, lockKey, ctx.services.clock.now());
      if (!fresh) return;
      ctx.db = tx;
      await next();
    });
  } catch (error) {
    // Without a claim the database itself failed: let Telegram deliver the update again.
    if (!fresh) throw error;
    effects.length = 0;
    await sql.begin(async (tx) => {
      if (!(await claimUpdate(tx, updateId, lockKey, ctx.services.clock.now()))) return;
      ctx.db = tx;
      await onError(ctx, error);
    });
    return;
  }
  if (!fresh) {
    ctx.services.log.debug({ updateId: ctx.update.update_id }, "duplicate update dropped");
    return;
  }
  for (const effect of effects) {
    await effect().catch((error: unknown) => {
      ctx.services.log.warn(
        { updateId: ctx.update.update_id, err: describeError(error) },
        "after-commit effect failed",
      );
    });
  }
}
