import type { Redis } from "ioredis";

/** Counts hits per key in fixed windows; time is passed in, so tests control it. */
export interface RateLimitStore {
  /** Adds a hit to `key` in the window holding `nowMs`; returns the count so far. */
  hit(key: string, windowMs: number, nowMs: number): Promise<number>;
  /** The count in the window holding `nowMs`, without adding to it. */
  current(key: string, windowMs: number, nowMs: number): Promise<number>;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface RateLimiter {
  /** Counts a hit; refused once more than `limit` hits fall in the window. */
  hit(key: string, nowMs: number): Promise<RateDecision>;
  /** Whether the key is over its limit now, without counting. */
  peek(key: string, nowMs: number): Promise<RateDecision>;
}

export function createRateLimiter(
  store: RateLimitStore,
  options: { limit: number; windowMs: number },
): RateLimiter {
  const { limit, windowMs } = options;
  const decide = (count: number, nowMs: number): RateDecision => {
    if (count <= limit) return { allowed: true };
    const resetInMs = windowMs - (nowMs % windowMs);
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(resetInMs / 1000)) };
  };
  return {
    hit: async (key, nowMs) => decide(await store.hit(key, windowMs, nowMs), nowMs),
    // Over the limit means the next hit would be refused.
    peek: async (key, nowMs) => decide((await store.current(key, windowMs, nowMs)) + 1, nowMs),
  };
}

/**
 * One process's counts. Bounded: when full, entries of past windows go first, then the
 * oldest.
 */
export function memoryRateLimitStore(options: { maxKeys?: number } = {}): RateLimitStore {
  const maxKeys = options.maxKeys ?? 100_000;
  const counts = new Map<string, { window: number; count: number }>();
  const windowOf = (windowMs: number, nowMs: number) => Math.floor(nowMs / windowMs);
  const makeRoom = (window: number) => {
    for (const [key, entry] of counts) if (entry.window < window) counts.delete(key);
    while (counts.size >= maxKeys) {
      const oldest = counts.keys().next();
      if (oldest.done) break;
      counts.delete(oldest.value);
    }
  };
  return {
    async hit(key, windowMs, nowMs) {
      const window = windowOf(windowMs, nowMs);
      const entry = counts.get(key);
      if (entry && entry.window === window) return ++entry.count;
      counts.delete(key);
      if (counts.size >= maxKeys) makeRoom(window);
      counts.set(key, { window, count: 1 });
      return 1;
    },
    async current(key, windowMs, nowMs) {
      const entry = counts.get(key);
      return entry && entry.window === windowOf(windowMs, nowMs) ? entry.count : 0;
    },
  };
}

/** Counts shared by every instance on one Redis; each window's key expires by itself. */
export function redisRateLimitStore(redis: Redis, prefix: string): RateLimitStore {
  const keyOf = (key: string, windowMs: number, nowMs: number) =>
    `${prefix}${key}:${Math.floor(nowMs / windowMs)}`;
  return {
    async hit(key, windowMs, nowMs) {
      const windowKey = keyOf(key, windowMs, nowMs);
      const results = await redis.multi().incr(windowKey).pexpire(windowKey, windowMs).exec();
      const [error, count] = results?.[0] ?? [new Error("Redis returned no result"), 0];
      if (error) throw error;
      return Number(count);
    },
    async current(key, windowMs, nowMs) {
      return Number((await redis.get(keyOf(key, windowMs, nowMs))) ?? 0);
    },
  };
}
