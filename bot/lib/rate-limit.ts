import type { Redis } from "ioredis";

export interface WindowCount {
  count: number;
  resetInMs: number;
}

/** Counts hits per key in fixed windows; time is passed in, so tests control it. */
export interface RateLimitStore {
  /** Adds one hit to `key` in its current window of `windowMs`; returns the count so far and ms until the window ends. */
  hit(key: string, windowMs: number, nowMs: number): Promise<WindowCount>;
  /** The same as `hit`, without adding one. */
  current(key: string, windowMs: number, nowMs: number): Promise<WindowCount>;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface RateLimiter {
  /** Counts a hit; `allowed: false` once `limit` hits in the window are exceeded, with seconds until it may try again (at least 1). */
  hit(key: string, nowMs: number): Promise<RateDecision>;
  /**
   * Whether a hit now would be allowed, without counting one: with `limit` failures counted,
   * the next attempt is refused up front rather than allowed to fail once more.
   */
  peek(key: string, nowMs: number): Promise<RateDecision>;
}

export function createRateLimiter(
  store: RateLimitStore,
  options: { limit: number; windowMs: number },
): RateLimiter {
  const { limit, windowMs } = options;
  if (!(limit >= 0 && windowMs > 0)) {
    throw new RangeError(`Invalid rate limit: ${limit} per ${windowMs} ms`);
  }
  const decide = (allowed: boolean, resetInMs: number): RateDecision =>
    allowed
      ? { allowed: true }
      : { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(resetInMs / 1000)) };
  return {
    async hit(key, nowMs) {
      const { count, resetInMs } = await store.hit(key, windowMs, nowMs);
      return decide(count <= limit, resetInMs);
    },
    async peek(key, nowMs) {
      const { count, resetInMs } = await store.current(key, windowMs, nowMs);
      return decide(count < limit, resetInMs);
    },
  };
}

const windowOf = (windowMs: number, nowMs: number) => Math.floor(nowMs / windowMs);
const windowEnd = (windowMs: number, nowMs: number) => (windowOf(windowMs, nowMs) + 1) * windowMs;

/**
 * One process's counts. Bounded by `maxKeys`: when full, entries of past windows go first,
 * then the oldest inserted.
 */
export function memoryRateLimitStore(options: { maxKeys?: number } = {}): RateLimitStore {
  const maxKeys = options.maxKeys ?? 100_000;
  // Keyed by the window's end rather than its index, so keys counted with different
  // windowMs still expire correctly.
  const counts = new Map<string, { endsAt: number; count: number }>();
  // No entry ends before this, so a sweep for expired entries earlier would find none:
  // a store full of live keys is not rescanned on every new key.
  let sweepFrom = 0;
  const makeRoom = (nowMs: number) => {
    if (nowMs >= sweepFrom) {
      sweepFrom = Number.POSITIVE_INFINITY;
      for (const [key, entry] of counts) {
        if (entry.endsAt <= nowMs) counts.delete(key);
        else sweepFrom = Math.min(sweepFrom, entry.endsAt);
      }
    }
    for (const key of counts.keys()) {
      if (counts.size < maxKeys) break;
      counts.delete(key);
    }
  };
  return {
    async hit(key, windowMs, nowMs) {
      const endsAt = windowEnd(windowMs, nowMs);
      const entry = counts.get(key);
      if (entry?.endsAt === endsAt) return { count: ++entry.count, resetInMs: endsAt - nowMs };
      // Re-inserted rather than updated, so that "oldest inserted" means least recently renewed.
      counts.delete(key);
      if (counts.size >= maxKeys) makeRoom(nowMs);
      counts.set(key, { endsAt, count: 1 });
      sweepFrom = Math.min(sweepFrom, endsAt);
      return { count: 1, resetInMs: endsAt - nowMs };
    },
    async current(key, windowMs, nowMs) {
      const endsAt = windowEnd(windowMs, nowMs);
      const entry = counts.get(key);
      return { count: entry?.endsAt === endsAt ? entry.count : 0, resetInMs: endsAt - nowMs };
    },
  };
}

/** Counts shared by every instance on one Redis; each window's key expires by itself. */
export function redisRateLimitStore(redis: Redis, prefix: string): RateLimitStore {
  const keyOf = (key: string, windowMs: number, nowMs: number) =>
    `${prefix}${key}:${windowOf(windowMs, nowMs)}`;
  return {
    async hit(key, windowMs, nowMs) {
      const windowKey = keyOf(key, windowMs, nowMs);
      const results = await redis.multi().incr(windowKey).pexpire(windowKey, windowMs).exec();
      const [error, count] = results?.[0] ?? [new Error("Redis discarded the transaction"), 0];
      if (error) throw error;
      return { count: Number(count), resetInMs: windowEnd(windowMs, nowMs) - nowMs };
    },
    async current(key, windowMs, nowMs) {
      const count = Number((await redis.get(keyOf(key, windowMs, nowMs))) ?? 0);
      return { count, resetInMs: windowEnd(windowMs, nowMs) - nowMs };
    },
  };
}
