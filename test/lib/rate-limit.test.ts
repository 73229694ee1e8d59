import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import {
  createRateLimiter,
  memoryRateLimitStore,
  type RateLimitStore,
  redisRateLimitStore,
} from "#bot/lib/rate-limit";

const MINUTE = 60_000;
/** The start of some one-minute window. */
const START = 28_333_334 * MINUTE;
/** 15 s into that window: 45 s are left. */
const T = START + 15_000;

function behavesAsALimit(makeStore: () => RateLimitStore) {
  it("allows `limit` hits, refuses the next until the window ends, then allows again", async () => {
    const limiter = createRateLimiter(makeStore(), { limit: 3, windowMs: MINUTE });
    for (let i = 0; i < 3; i++) expect(await limiter.hit("a", T)).toEqual({ allowed: true });
    expect(await limiter.hit("a", T)).toEqual({ allowed: false, retryAfterSeconds: 45 });
    expect(await limiter.hit("a", T + 500)).toEqual({ allowed: false, retryAfterSeconds: 45 });
    expect(await limiter.hit("a", START + MINUTE - 1)).toEqual({
      allowed: false,
      retryAfterSeconds: 1,
    });
    expect(await limiter.hit("a", START + MINUTE)).toEqual({ allowed: true });
  });

  it("counts each key on its own", async () => {
    const limiter = createRateLimiter(makeStore(), { limit: 1, windowMs: MINUTE });
    expect(await limiter.hit("a", T)).toEqual({ allowed: true });
    expect(await limiter.hit("a", T)).toMatchObject({ allowed: false });
    expect(await limiter.hit("b", T)).toEqual({ allowed: true });
  });

  it("peeks without counting, refusing once `limit` hits are counted", async () => {
    const limiter = createRateLimiter(makeStore(), { limit: 2, windowMs: MINUTE });
    for (let i = 0; i < 3; i++) expect(await limiter.peek("k", T)).toEqual({ allowed: true });
    await limiter.hit("k", T);
    expect(await limiter.peek("k", T)).toEqual({ allowed: true });
    await limiter.hit("k", T);
    expect(await limiter.peek("k", T)).toEqual({ allowed: false, retryAfterSeconds: 45 });
    expect(await limiter.peek("k", START + MINUTE)).toEqual({ allowed: true });
  });
}

describe("the memory store", () => {
  behavesAsALimit(() => memoryRateLimitStore());

  it("stays within maxKeys, dropping keys of past windows first, then the oldest", async () => {
    const store = memoryRateLimitStore({ maxKeys: 2 });
    const count = async (key: string) => (await store.current(key, MINUTE, T)).count;
    await store.hit("stale", MINUTE, T - MINUTE);
    await store.hit("x", MINUTE, T);
    await store.hit("y", MINUTE, T);
    expect([await count("x"), await count("y")]).toEqual([1, 1]);
    await store.hit("y", MINUTE, T);
    await store.hit("z", MINUTE, T);
    expect([await count("x"), await count("y"), await count("z")]).toEqual([0, 2, 1]);
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
    const keys = first ? await first.keys(`${prefix}*`) : [];
    if (first && keys.length > 0) await first.del(...keys);
    await Promise.all(connections.map((redis) => redis.quit()));
  });

  let run = 0;
  behavesAsALimit(() => redisRateLimitStore(connect(), `${prefix}${++run}:`));

  it("keeps one count for several service instances", async () => {
    const instance = () =>
      createRateLimiter(redisRateLimitStore(connect(), `${prefix}shared:`), {
        limit: 2,
        windowMs: MINUTE,
      });
    const [first, second] = [instance(), instance()];
    expect(await first.hit("u:1", T)).toEqual({ allowed: true });
    expect(await second.hit("u:1", T)).toEqual({ allowed: true });
    expect(await first.hit("u:1", T)).toEqual({ allowed: false, retryAfterSeconds: 45 });
    expect(await second.peek("u:1", T)).toEqual({ allowed: false, retryAfterSeconds: 45 });
  });

  it("lets each window's count expire by itself", async () => {
    const redis = connect();
    await redisRateLimitStore(redis, `${prefix}ttl:`).hit("k", MINUTE, T);
    const ttl = await redis.pttl(`${prefix}ttl:k:${START / MINUTE}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(MINUTE);
  });
});
