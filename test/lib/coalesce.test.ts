import { describe, expect, it } from "vitest";
import { coalesce } from "#bot/lib/coalesce";

describe("coalesce", () => {
  it("sends the requests of one turn as one batch and answers each caller with its own result", async () => {
    const batches: number[][] = [];
    const double = coalesce<number, number | undefined>(async (keys) => {
      batches.push([...keys]);
      return new Map(keys.filter((key) => key !== 3).map((key) => [key, key * 2]));
    }, undefined);
    const first = await Promise.all([double(1), double(2), double(3)]);
    const later = await double(4);
    expect(first).toEqual([2, 4, undefined]);
    expect(later).toBe(8);
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  it("fails every caller of a failed batch, and the next batch runs afresh", async () => {
    let fail = true;
    const lookUp = coalesce<string, string>(async (keys) => {
      if (fail) throw new Error("the database is gone");
      return new Map(keys.map((key) => [key, key.toUpperCase()]));
    }, "");
    const failed = await Promise.allSettled([lookUp("a"), lookUp("b")]);
    expect(failed.map((result) => result.status)).toEqual(["rejected", "rejected"]);
    fail = false;
    expect(await lookUp("c")).toBe("C");
  });
});
