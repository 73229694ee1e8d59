import { describe, expect, it } from "vitest";
import { LruCache } from "#bot/lib/lru";

const kept = (cache: LruCache<number, string>, keys: number[]) =>
  keys.filter((key) => cache.get(key) !== undefined);

describe("a bounded cache", () => {
  it("never holds more than its capacity", () => {
    const cache = new LruCache<number, string>(10);
    for (let key = 0; key < 1000; key++) cache.set(key, `v${key}`);
    const all = Array.from({ length: 1000 }, (_, key) => key);
    expect(kept(cache, all).length).toBeLessThanOrEqual(10);
    expect(cache.get(999)).toBe("v999");
  });

  it("keeps an entry that is used while others come and go, and lets an unused one go", () => {
    const cache = new LruCache<number, string>(10);
    cache.set(-1, "used");
    cache.set(-2, "unused");
    for (let key = 0; key < 100; key++) {
      cache.set(key, `v${key}`);
      expect(cache.get(-1)).toBe("used");
    }
    expect(cache.get(-2)).toBeUndefined();
  });

  it("keeps at least half its capacity of the most recently used", () => {
    const cache = new LruCache<number, string>(10);
    for (let key = 0; key < 100; key++) cache.set(key, `v${key}`);
    expect(kept(cache, [95, 96, 97, 98, 99])).toEqual([95, 96, 97, 98, 99]);
  });

  it("forgets what is deleted or cleared, and takes a new value for a key", () => {
    const cache = new LruCache<number, string>(4);
    cache.set(1, "a");
    cache.set(2, "b");
    cache.set(1, "A");
    expect(cache.get(1)).toBe("A");
    cache.delete(1);
    expect(cache.get(1)).toBeUndefined();
    cache.clear();
    expect(cache.get(2)).toBeUndefined();
  });
});
