import { describe, expect, it } from "vitest";
import { Forgetting } from "#bot/lib/changes";
import { listKeysOf } from "#bot/lib/list-cache";

describe("a cache of people", () => {
  it("remembers what was read while nothing changed, in every cache", () => {
    const forgetting = new Forgetting();
    const profiles = forgetting.cache<string>(10);
    const teams = forgetting.cache<number[]>(10);
    profiles.set(1, "Alice", profiles.readAt());
    teams.set(1, [7], teams.readAt());
    expect(profiles.get(1)).toBe("Alice");
    expect(teams.get(1)).toEqual([7]);

    forgetting.forget(1);
    expect(profiles.get(1)).toBeUndefined();
    expect(teams.get(1)).toBeUndefined();
  });

  it("does not remember a value read before the person changed", () => {
    const forgetting = new Forgetting();
    const profiles = forgetting.cache<string>(10);
    const readBefore = profiles.readAt();
    forgetting.forget(1);
    profiles.set(1, "stale Alice", readBefore);
    profiles.set(2, "Bob", readBefore);
    expect(profiles.get(1)).toBeUndefined();
    expect(profiles.get(2)).toBe("Bob");

    profiles.set(1, "Alice", profiles.readAt());
    expect(profiles.get(1)).toBe("Alice");
  });

  it("after forgetting everyone, remembers nothing read before", () => {
    const forgetting = new Forgetting();
    const profiles = forgetting.cache<string>(10);
    profiles.set(2, "Bob", profiles.readAt());
    const readBefore = profiles.readAt();
    forgetting.forgetEverything();
    expect(profiles.get(2)).toBeUndefined();
    profiles.set(1, "stale Alice", readBefore);
    expect(profiles.get(1)).toBeUndefined();
    profiles.set(1, "Alice", profiles.readAt());
    expect(profiles.get(1)).toBe("Alice");
  });

  it("keeps a bounded list of changes and stays on the safe side past it", () => {
    const forgetting = new Forgetting(2);
    const profiles = forgetting.cache<string>(10);
    const readBefore = profiles.readAt();
    forgetting.forget(1);
    forgetting.forget(2);
    forgetting.forget(3); // person 1's change is no longer listed
    profiles.set(1, "stale Alice", readBefore);
    profiles.set(4, "Dan, unchanged but read before", readBefore);
    expect(profiles.get(1)).toBeUndefined();
    expect(profiles.get(4)).toBeUndefined();
    profiles.set(1, "Alice", profiles.readAt());
    expect(profiles.get(1)).toBe("Alice");
  });
});

describe("a cache of values that depend on several keys", () => {
  it("forgets a value when any one of its keys changes, and never keeps one read before", () => {
    const forgetting = new Forgetting();
    const lists = forgetting.dependentCache<string>(10);
    lists.set("team list", "three tasks", [-100, 1], lists.readAt());
    lists.set("other team", "one task", [-200], lists.readAt());
    expect(lists.get("team list")).toBe("three tasks");

    const readBefore = lists.readAt();
    forgetting.forget(1);
    expect(lists.get("team list")).toBeUndefined();
    expect(lists.get("other team")).toBe("one task");
    lists.set("team list", "stale", [-100, 1], readBefore);
    expect(lists.get("team list")).toBeUndefined();

    forgetting.forgetEverything();
    expect(lists.get("other team")).toBeUndefined();
  });
});

describe("the keys a list change announces", () => {
  it("reads team and person ids, '*' as every list, and nothing else", () => {
    expect(listKeysOf("-1001234567890,1001,1002")).toEqual([-1001234567890, 1001, 1002]);
    expect(listKeysOf("*")).toBe("everything");
    for (const payload of ["", "1,,2", "abc", "1;2", "01", "12345678901234567"]) {
      expect(listKeysOf(payload)).toBeNull();
    }
  });
});
