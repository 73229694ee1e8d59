import type { Update } from "grammy/types";
import { describe, expect, it } from "vitest";
import { useBotHarness } from "#test/helpers/bot";
import { alice, bob, team } from "#test/helpers/updates";

const h = useBotHarness();

describe("learning teams from updates", () => {
  it("records the group, its title and the members who write there", async () => {
    await h.bot.send(h.updates.groupText(team, alice, "morning"));
    await h.bot.send(h.updates.groupText({ ...team, title: "Core team (renamed)" }, bob, "hi"));
    const [row] = await h.sql<{ title: string }[]>`select title from teams where id = ${team.id}`;
    expect(row?.title).toBe("Core team (renamed)");
    const members =
      await h.sql`select user_id from team_members where team_id = ${team.id} order by user_id`;
    expect(members.map((m) => m.userId)).toEqual([alice.id, bob.id]);
  });

  it("moves a group's tasks and members when it becomes a supergroup", async () => {
    const basic = { id: -4242, title: "Small group", type: "group" as const };
    await h.bot.send(h.updates.groupText(basic, alice, "/newtask Keep me"));
    const upgraded = -1009999999999;
    const migrated = h.updates.groupText(basic, alice, "") as Update & {
      message: Record<string, unknown>;
    };
    delete migrated.message.text;
    migrated.message.migrate_to_chat_id = upgraded;
    await h.bot.send(migrated);
    const tasks = await h.sql`select team_id from tasks`;
    expect(tasks.map((t) => t.teamId)).toEqual([upgraded]);
    const members = await h.sql`select user_id from team_members where team_id = ${upgraded}`;
    expect(members.map((m) => m.userId)).toEqual([alice.id]);
    expect((await h.sql`select 1 from teams where id = ${basic.id}`).length).toBe(0);
  });
});
