import type { RateLimiter } from "#bot/lib/rate-limit";
import type { Metrics } from "./registry.ts";

/** The same limiter, each refusal of a hit counted under `limiter`. */
export function countRefusals(limiter: RateLimiter, metrics: Metrics, name: string): RateLimiter {
  return {
    peek: (key, nowMs) => limiter.peek(key, nowMs),
    async hit(key, nowMs) {
      const decision = await limiter.hit(key, nowMs);
      if (!decision.allowed) metrics.rateLimitRefusals.inc({ limiter: name });
      return decision;
    },
  };
}
