import type { Transformer } from "grammy";
import type { Metrics } from "./registry.ts";

/** How an answer of the Bot API is counted: a small fixed set, never Telegram's own words. */
function resultOf(answer: { ok: boolean; error_code?: number; description?: string }): string {
  if (answer.ok) return "ok";
  const code = answer.error_code ?? 0;
  if (code === 429) return "too_many_requests";
  if (code === 400 && answer.description?.includes("message is not modified")) {
    return "not_modified";
  }
  if (code === 400) return "bad_request";
  if (code === 403) return "forbidden";
  return code >= 500 ? "server_error" : "client_error";
}

/**
 * Counts every call that reaches the wire, by method and result, and the retry_after of each
 * 429. Installed first on a client, so it sits closest to the wire: each retry of auto-retry
 * is counted, and the calls an update queues in the outbox are not (they are counted when the
 * outbox sends them).
 */
export function countTelegramCalls(metrics: Metrics, via: "direct" | "outbox"): Transformer {
  return async (prev, method, payload, signal) => {
    let answer: Awaited<ReturnType<typeof prev>>;
    try {
      answer = await prev(method, payload, signal);
    } catch (error) {
      metrics.telegramCalls.inc({ via, method, result: "network_error" });
      throw error;
    }
    const result = resultOf(answer);
    metrics.telegramCalls.inc({ via, method, result });
    if (!answer.ok && result === "too_many_requests") {
      metrics.retryAfterSeconds.observe({ via }, answer.parameters?.retry_after ?? 0);
    }
    return answer;
  };
}
