import { autoRetry } from "@grammyjs/auto-retry";
import { apiThrottler } from "@grammyjs/transformer-throttler";
import type { Api, Transformer } from "grammy";
import type { Sql } from "postgres";
import type { Clock } from "#bot/lib/clock";
import { markBlocked } from "#db/users";

/**
 * A 403 from a private chat means the user blocked the bot (or deleted their account):
 * remember it so nothing is sent to them until they write to us again.
 */
function rememberBlockedUsers(sql: Sql, clock: Clock): Transformer {
  return async (prev, method, payload, signal) => {
    const result = await prev(method, payload, signal);
    const chatId = (payload as { chat_id?: unknown } | undefined)?.chat_id;
    if (!result.ok && result.error_code === 403 && typeof chatId === "number" && chatId > 0) {
      await markBlocked(sql, chatId, clock.now());
    }
    return result;
  };
}

export interface OutgoingOptions {
  /** Off only for benchmarks that flood one chat on purpose. */
  throttle: boolean;
}

/**
 * Outgoing calls: retried on 429 (honouring retry_after) and 5xx, throttled within
 * Telegram's limits (30/s overall, 1/s per private chat, 20/min per group). A network
 * error is thrown, not retried: auto-retry would retry it forever and silently, which
 * hung the start with no word when Telegram could not be reached.
 */
export function configureOutgoing(
  api: Api,
  sql: Sql,
  clock: Clock,
  options: OutgoingOptions,
): void {
  api.config.use(rememberBlockedUsers(sql, clock));
  api.config.use(autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: 60, rethrowHttpErrors: true }));
  if (options.throttle) api.config.use(apiThrottler());
}
