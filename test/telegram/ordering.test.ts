import { describe, expect, it } from "vitest";
import { createTestBot, useBotHarness } from "#test/helpers/bot";
import { alice, team } from "#test/helpers/updates";

const h = useBotHarness();

/** Returns once some session of this database waits for a lock of the given kind. */
async function untilSomeoneWaitsFor(locktype: "advisory" | "relation"): Promise<void> {
  for (let attempt = 0; attempt < 5000; attempt++) {
    const waiting = await h.sql`
      select 1 from pg_locks where locktype = ${locktype} and not granted
        and database = (select oid from pg_database where datname = current_database())`;
    if (waiting.length > 0) return;
  }
  throw new Error(`nobody waited for a ${locktype} lock`);
}

describe("one chat's updates across two instances", () => {
  it("the second instance waits until the first has committed the chat's earlier update", async () => {
    const first = h.bot;
    const second = createTestBot({ sql: h.sql, telegram: h.telegram });
    // Both instances know the group and Alice, so neither writes anything for her later.
    await first.send(h.updates.groupText(team, alice, "hello"));
    await second.send(h.updates.groupText(team, alice, "hello again"));

    // Holds back the first instance's task insert (reads go on) while it holds the chat.
    const holder = await h.sql.reserve();
    let created: Promise<void> | undefined;
    try {
      await holder`begin`;
      await holder`lock table tasks in exclusive mode`;
      created = first.send(h.updates.groupText(team, alice, "/newtask Book the room"));
      await untilSomeoneWaitsFor("relation");
      const listed = second.send(h.updates.groupText(team, alice, "/tasks"));
      await Promise.race([
        untilSomeoneWaitsFor("advisory"),
        listed.then(() => {
          throw new Error("the second instance answered while the first held the chat");
        }),
      ]);
      await holder`commit`;
      await Promise.all([created, listed]);
    } finally {
      await holder`rollback`.catch(() => {});
      holder.release();
      await created?.catch(() => {});
    }
    const texts = h.telegram.textsTo(team.id);
    const card = texts.findIndex((t) => t.includes("Book the room"));
    expect(card).toBeGreaterThanOrEqual(0);
    expect(texts.at(-1)).toContain("Book the room");
    expect(texts.length - 1).toBeGreaterThan(card);
  });
});
