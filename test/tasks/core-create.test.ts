import { describe, expect, it } from "vitest";
import { createTask } from "#bot/tasks/core/create";
import { ALICE, refusal, TEAM, useCoreFixture } from "./core-fixture.ts";

const { db, effects, op } = useCoreFixture();

describe("createTask's bounds and people", () => {
  it("counts a title in characters as people do: 200 emoji fit, 201 do not", async () => {
    const fits = await createTask(op(ALICE), { title: "🌱".repeat(200) });
    expect([...fits.title]).toHaveLength(200);
    expect(await refusal(createTask(op(ALICE), { title: "🌱".repeat(201) }))).toMatchObject({
      kind: "invalid",
      message: "The title is too long (at most 200 characters).",
    });
    expect(
      await refusal(createTask(op(ALICE), { title: "ok", description: "🌱".repeat(4001) })),
    ).toMatchObject({ message: "The description is too long (at most 4000 characters)." });
  });

  it("gives the task to a member named by @username, and refuses one the group does not know", async () => {
    expect(
      await refusal(
        createTask(op(ALICE), { title: "Chairs", teamId: TEAM, assigneeName: "@nobody_here" }),
      ),
    ).toEqual({
      kind: "invalid",
      code: "invalid_input",
      message: "I don't know @nobody_here in this group yet: they need to write here once.",
    });
    const mine = await createTask(op(ALICE), { title: "Mine", teamId: TEAM, assigneeName: "me" });
    expect(mine.assigneeId).toBe(ALICE);
    // The event is described all the same; whom to tell (never the actor) is the effects' business.
    expect(effects.filter((e) => e.effect === "taskEvent")).toEqual([
      { effect: "taskEvent", task: mine.id, event: "assigned", next: null },
    ]);
  });

  it("refuses a stored message the actor cannot pick, and a private task copying one", async () => {
    const key = { chatId: TEAM, messageId: 42 };
    for (const teamId of [TEAM, null]) {
      expect(
        await refusal(createTask(op(ALICE), { title: "From chat", teamId, storedMessage: key })),
      ).toEqual({
        kind: "invalid",
        code: "invalid_input",
        message: "Not a stored message of that group you can see.",
      });
    }
    const [count] = await db.sql<{ n: number }[]>`select count(*)::int as n from tasks`;
    expect(count?.n).toBe(0);
  });
});
