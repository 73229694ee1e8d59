import type { Context, MiddlewareFn, NextFunction } from "grammy";
import type { Sql } from "postgres";
import { Semaphore } from "#bot/lib/semaphore";
import { claimUpdate } from "#db/updates";
import type { BotContext } from "./context.ts";
import { UpdateCalls } from "./update-calls.ts";

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
 *
 * Nothing waits on Telegram meanwhile: what the update says goes into the outbox with its
 * transaction, and callback answers and other after-commit work start once it has
 * committed, in the background, after the update has given back its slot.
 */
export function exactlyOnce(
  sql: Sql,
  onError: HandlerErrorReporter,
  maxInFlight: number,
): MiddlewareFn<BotContext> {
  // Each update in flight holds a pooled connection for its transaction; leaving a few
  // free keeps the outbox sender and jobs from starving behind them.
  const inFlight = new Semaphore(maxInFlight);
  return async (ctx, next) => {
    const afterCommit = await inFlight.run(() => processOnce(sql, onError, ctx, next));
    for (const work of afterCommit) ctx.services.background.start("after-commit work", work);
  };
}

/** Handles the update once; the work to start now that its transaction has committed. */
async function processOnce(
  sql: Sql,
  onError: HandlerErrorReporter,
  ctx: BotContext,
  next: NextFunction,
): Promise<Array<() => Promise<unknown>>> {
  const effects: Array<() => Promise<unknown>> = [];
  const updateId = ctx.update.update_id;
  const lockKey = orderingKey(ctx) ?? 0;
  const calls = new UpdateCalls(ctx.services.vault, () => ctx.services.clock.now());
  ctx.api.config.use(calls.transformer);
  ctx.outgoing = calls;
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
      await calls.flush(tx);
    });
  } catch (error) {
    calls.discard();
    effects.length = 0;
    // Without a claim the database itself failed: let Telegram deliver the update again.
    if (!fresh) {
      calls.close();
      throw error;
    }
    await sql.begin(async (tx) => {
      if (!(await claimUpdate(tx, updateId, lockKey, ctx.services.clock.now()))) return;
      ctx.db = tx;
      await onError(ctx, error);
      await calls.flush(tx);
    });
    ctx.outcome = "failed";
  }
  const answers = calls.close();
  if (!fresh) {
    ctx.outcome = "duplicate";
    ctx.services.log.debug({ updateId: ctx.update.update_id }, "duplicate update dropped");
    return [];
  }
  // The button stops spinning first; then what the update started after its commit.
  return [...answers, ...effects];
}
