import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import {
  createRateLimiter,
  memoryRateLimitStore,
  type RateLimitStore,
  redisRateLimitStore,
} from "#bot/http/rate-limit";

const MINUTE = 60_000;
// 10:00:15 in some minute: 45 s are left in the window.
const T = 29_000_000 * MINUTE + 15_000;

function behavesAsALimit(makeStore: () => RateLimitStore) {
  it("allows the limit, refuses the next with the seconds to the window's end, then allows again", async () => {
    const limiter = createRateLimiter(makeStore(), { limit: 3, windowMs: MINUTE });
    for (let i = 0; i < 3; i++) expect(await limiter.hit("a", T)).toEqual({ allowed: true });
    expect(await limiter.hit("a", T + 500)).toEqual({ allowed: false, retryAfterSeconds: 45 });
    expect(await limiter.hit("b", T)).toEqual({ allowed: true });
    expect(await limiter.hit("a", T + 45_000)).toEqual({ allowed: true });
  });

  it("peeks without counting", async () => {
    const limiter = createRateLimiter(makeStore(), { limit: 2, windowMs: MINUTE });
    expect(await limiter.peek("k", T)).toEqual({ allowed: true });
    await limiter.hit("k", T);
    expect(await limiter.peek("k", T)).toEqual({ allowed: true });
    await limiter.hit("k", T);
    expect(await limiter.peek("k", T)).toEqual({ allowed: false, retryAfterSeconds: 45 });
  });
}

describe("the memory store", () => {
  behavesAsALimit(() => memoryRateLimitStore());

  it("stays within maxKeys, dropping past windows first", async () => {
    const store = memoryRateLimitStore({ maxKeys: 2 });
    await store.hit("old", MINUTE, T - MINUTE);
    await store.hit("x", MINUTE, T);
    await store.hit("y", MINUTE, T);
    expect(await store.current("x", MINUTE, T)).toBe(1);
    expect(await store.current("y", MINUTE, T)).toBe(1);
    await store.hit("z", MINUTE, T);
    expect(await store.current("x", MINUTE, T)).toBe(0);
    expect(await store.current("z", MINUTE, T)).toBe(1);
  });
});

describe("the Redis store", () => {
  const prefix = `tt-test-${randomUUID()}:`;
  const connections: Redis[] = [];
  const connect = () => {
    const redis = new Redis("redis://127.0.0.1:6379");
    connections.push(redis);
    return redis;
  };
  afterAll(async () => {
    const [first] = connections;
    if (first) {
      const keys = await first.keys(`${prefix}*`);
      if (keys.length > 0) await first.del(...keys);
    }
    for (const redis of connections) redis.disconnect();
  });
  let run = 0;
  behavesAsALimit(() => redisRateLimitStore(connect(), `${prefix}${++run}:`));

  it("is one count for several instances", async () => {
    const first = createRateLimiter(redisRateLimitStore(connect(), `${prefix}shared:`), {
      limit: 2,
      windowMs: MINUTE,
    });
    const second = createRateLimiter(redisRateLimitStore(connect(), `${prefix}shared:`), {
      limit: 2,
      windowMs: MINUTE,
    });
    expect(await first.hit("u:1", T)).toEqual({ allowed: true });
    expect(await second.hit("u:1", T)).toEqual({ allowed: true });
    expect(await first.hit("u:1", T)).toEqual({ allowed: false, retryAfterSeconds: 45 });
  });
});
