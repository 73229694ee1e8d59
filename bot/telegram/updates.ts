import { sequentialize } from "@grammyjs/runner";
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

/** Updates of one chat run one at a time, in arrival order, within this process. */
export function perChatOrder(): MiddlewareFn<BotContext> {
  return sequentialize((ctx) => {
    const key = orderingKey(ctx);
    return key === undefined ? [] : [String(key)];
  });
}

export type HandlerErrorReporter = (ctx: BotContext, error: unknown) => Promise<void>;

/**
 * Exactly-once and ordered across instances: each update runs in one transaction that
 * first takes the chat's advisory lock and records the update id. A duplicate waits
 * for the original, then sees its id and is dropped. Handlers run in a savepoint: when
 * one fails, its writes roll back (nothing half-saved) but the update stays processed,
 * so a poison update is not retried forever. Messages to other people wait until the
 * transaction has committed.
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
  const lockKey = orderingKey(ctx) ?? 0;
  let fresh = false;
  await sql.begin(async (tx) => {
    fresh = await claimUpdate(tx, ctx.update.update_id, lockKey, ctx.app.clock.now());
    if (!fresh) return;
    ctx.afterCommit = (effect) => {
      effects.push(effect);
    };
    try {
      await tx.savepoint(async (savepoint) => {
        ctx.db = savepoint;
        await next();
      });
    } catch (error) {
      effects.length = 0;
      ctx.db = tx;
      await onError(ctx, error);
    }
  });
  if (!fresh) {
    ctx.app.log.debug({ updateId: ctx.update.update_id }, "duplicate update dropped");
    return;
  }
  for (const effect of effects) {
    await effect().catch((error: unknown) => {
      ctx.app.log.warn(
        { updateId: ctx.update.update_id, err: describeError(error) },
        "after-commit effect failed",
      );
    });
  }
}
