import { describe, expect, it } from "vitest";
import { createTestBot, useBotHarness } from "#test/helpers/bot";
import { type ApiCall, TEST_BOT_INFO, visibleText } from "#test/helpers/fake-telegram";
import { storedTasks } from "#test/helpers/tasks";
import { alice, bob, carol, type TestUser, team } from "#test/helpers/updates";

const ADMIN: TestUser = { id: 9009, first_name: "Root" };
const h = useBotHarness({ env: { ADMIN_IDS: String(ADMIN.id) } });

/** Tasks in the team as of 2026-11-28T10:00Z: overdue, due today, later, and one completed. */
async function teamWithTasks() {
  for (const user of [alice, bob, ADMIN]) await h.bot.send(h.updates.groupText(team, user, "hi"));
  const add = (text: string) => h.bot.send(h.updates.groupText(team, alice, `/newtask ${text}`));
  await add("Pay the invoice @alice tomorrow");
  await h.sql`update tasks set due_at = '2026-11-26T12:00:00Z' where id = (select max(id) from tasks)`;
  await add("Ship the release @bobby today 16:00");
  await add("Plan the offsite 2026-12-10");
  await add("Water the plants @bobby today 18:00");
  await add("Order coffee today 17:00");
  const done = (await storedTasks(h.sql)).find((task) => task.title === "Water the plants");
  await h.bot.send(h.updates.groupText(team, bob, `/done ${done?.id}`));
  h.telegram.clear();
}

const digestsIn = (chatId: number) =>
  h.telegram.textsTo(chatId).filter((text) => text.startsWith("📋"));

describe("a team's daily digest", () => {
  it("is set by an admin and posted once a day at its time, grouped by person", async () => {
    await teamWithTasks();
    await h.bot.send(h.updates.groupText(team, ADMIN, "/digest 09:00"));
    expect(h.telegram.lastMessageTo(team.id).text).toContain("Every day at 09:00 (UTC)");

    h.bot.clock.set("2026-11-28T08:59:00Z");
    expect(await h.bot.app.deliverDigests()).toBe(0);
    h.bot.clock.set("2026-11-28T09:00:00Z");
    expect(await h.bot.app.deliverDigests()).toBe(1);
    expect(await h.bot.app.deliverDigests()).toBe(0);

    const [digest] = digestsIn(team.id);
    expect(digest?.split("\n")).toEqual([
      "📋 <b>Team digest</b> · Sat 28 Nov",
      "",
      "<b>Overdue</b>",
      "Alice:",
      expect.stringMatching(/^ {2}• #\d+ Pay the invoice \(due 26 Nov\)$/),
      "",
      "<b>Due today</b>",
      "Bob:",
      expect.stringMatching(
        /^ {2}• #\d+ Ship the release \(<tg-time [^>]+>16:00 UTC<\/tg-time>\)$/,
      ),
      "Unassigned:",
      expect.stringMatching(/^ {2}• #\d+ Order coffee \(<tg-time [^>]+>17:00 UTC<\/tg-time>\)$/),
      "",
      "<b>Completed since yesterday</b>",
      "Bob:",
      expect.stringMatching(/^ {2}• #\d+ Water the plants$/),
    ]);
    expect(digest).not.toContain("Plan the offsite");
    // Each member's app shows today's due times in their own zone; older apps read the zone.
    const shown = h.telegram.chatMessages(team.id).find((m) => m.content?.text.startsWith("📋"));
    expect(shown?.content?.text).toContain("Ship the release (16:00 UTC)");
    expect(shown?.content?.entities.filter((e) => e.type === "date_time")).toEqual([
      expect.objectContaining({
        unix_time: Date.parse("2026-11-28T16:00:00Z") / 1000,
        date_time_format: "t",
      }),
      expect.objectContaining({
        unix_time: Date.parse("2026-11-28T17:00:00Z") / 1000,
        date_time_format: "t",
      }),
    ]);

    h.bot.clock.set("2026-11-29T09:00:00Z");
    expect(await h.bot.app.deliverDigests()).toBe(1);
  });

  it("mentions people only when the team chose it", async () => {
    await teamWithTasks();
    await h.bot.send(h.updates.groupText(team, ADMIN, "/digest 09:00 mention"));
    h.bot.clock.set("2026-11-28T09:00:00Z");
    await h.bot.app.deliverDigests();
    const sent = h.telegram.callsOf("sendMessage").at(-1)?.payload.text;
    expect(String(sent)).toContain(`<a href="tg://user?id=${bob.id}">Bob</a>:`);
  });

  it("is changed only by the group's admins, and stops with off", async () => {
    await teamWithTasks();
    await h.bot.send(h.updates.groupText(team, carol, "/digest 09:00"));
    expect(h.telegram.lastMessageTo(team.id).text).toBe(
      "Only the group's admins can change its digest.",
    );
    expect(await h.sql`select chat_id from digests`).toEqual([]);
    await h.bot.send(h.updates.groupText(team, ADMIN, "/digest 9:30"));
    await h.bot.send(h.updates.groupText(team, ADMIN, "/digest off"));
    expect(await h.sql`select chat_id from digests`).toEqual([]);
    await h.bot.send(h.updates.groupText(team, ADMIN, "/digest soon"));
    expect(h.telegram.lastMessageTo(team.id).text).toContain("/digest 09:00 sends the team");
  });
});

describe("a busy team's digest", () => {
  it("fits Telegram's 4,096 characters, saying how many tasks it left out", async () => {
    for (const user of [alice, ADMIN]) await h.bot.send(h.updates.groupText(team, user, "hi"));
    for (let n = 1; n <= 60; n++) {
      const title = `Review the supplier contract for the ${n}th warehouse and its renewal terms`;
      await h.bot.send(h.updates.groupText(team, alice, `/newtask ${title} @alice today 16:00`));
    }
    await h.bot.send(h.updates.groupText(team, ADMIN, "/digest 09:00"));
    h.telegram.clear();

    h.bot.clock.set("2026-11-28T09:00:00Z");
    expect(await h.bot.app.deliverDigests()).toBe(1);

    const sent = h.telegram.sent();
    expect(sent).toHaveLength(1);
    const digest = visibleText(sent[0] as ApiCall);
    expect(digest.length).toBeLessThanOrEqual(4096);
    const listed = digest.split("\n").filter((line) => line.startsWith("  • ")).length;
    expect(listed).toBeGreaterThan(30);
    expect(digest).toContain(`…and ${60 - listed} more tasks: /tasks lists them all.`);
    expect(h.bot.logs.lines().filter((line) => line.msg === "digest not delivered")).toEqual([]);

    // Where the Mini App is served, the rest is one tap away, on this team.
    const withApp = createTestBot({
      sql: h.sql,
      telegram: h.telegram,
      clock: h.bot.clock,
      env: { PUBLIC_URL: "https://tasks.example.org" },
    });
    h.bot.clock.set("2026-11-29T09:00:00Z");
    expect(await withApp.app.deliverDigests()).toBe(1);
    const next = h.telegram.sent().at(-1)?.payload.text;
    expect(String(next)).toContain(
      `or <a href="https://t.me/${TEST_BOT_INFO.username}?startapp=team_${team.id}">open the app</a>.`,
    );
  });
});

describe("who may set a team's digest", () => {
  it("the group's creator and admins, as Telegram reports them; not a member or a former one", async () => {
    await teamWithTasks();
    h.telegram.setChatMember(team.id, alice.id, "creator");
    h.telegram.setChatMember(team.id, bob.id, "administrator");
    h.telegram.setChatMember(team.id, carol.id, "left");

    await h.bot.send(h.updates.groupText(team, alice, "/digest 09:00"));
    expect(h.telegram.lastMessageTo(team.id).text).toContain("Every day at 09:00");
    await h.bot.send(h.updates.groupText(team, bob, "/digest 10:15"));
    expect(h.telegram.lastMessageTo(team.id).text).toContain("Every day at 10:15");
    await h.bot.send(h.updates.groupText(team, carol, "/digest off"));
    expect(h.telegram.lastMessageTo(team.id).text).toBe(
      "Only the group's admins can change its digest.",
    );
    expect(await h.sql`select at_minute from digests where chat_id = ${team.id}`).toEqual([
      { atMinute: 10 * 60 + 15 },
    ]);
    // An admin elsewhere is a plain member here.
    h.telegram.setChatMember(team.id, bob.id, "member");
    await h.bot.send(h.updates.groupText(team, bob, "/digest off"));
    expect(h.telegram.lastMessageTo(team.id).text).toBe(
      "Only the group's admins can change its digest.",
    );
    expect(h.telegram.callsOf("getChatMember").map((c) => c.payload)).toContainEqual({
      chat_id: team.id,
      user_id: bob.id,
    });
  });
});

describe("asking Telegram who is an admin", () => {
  it("happens before the update's transaction opens: nothing is held while Telegram answers", async () => {
    await teamWithTasks();
    h.telegram.setChatMember(team.id, alice.id, "creator");
    const gate = h.telegram.holdAnswers((call) => call.method === "getChatMember");
    const handling = h.bot.send(h.updates.groupText(team, alice, "/digest 09:00"));
    await h.telegram.waitForCalls(() => gate.held().length === 1);
    // The update waits on Telegram: no transaction of this database is open meanwhile.
    const open = await h.sql`
      select 1 from pg_stat_activity
      where datname = current_database() and xact_start is not null and pid <> pg_backend_pid()`;
    gate.open();
    await handling;
    expect(open).toEqual([]);
    expect(h.telegram.lastMessageTo(team.id).text).toContain("Every day at 09:00");
  });

  it("is not done for other commands in a group", async () => {
    await teamWithTasks();
    await h.bot.send(h.updates.groupText(team, alice, "/tasks"));
    await h.bot.send(h.updates.groupText(team, alice, "/newtask Book the room"));
    expect(h.telegram.callsOf("getChatMember")).toEqual([]);
  });
});

describe("a personal digest", () => {
  it("comes in private at the person's time in their timezone", async () => {
    await teamWithTasks();
    await h.bot.send(h.updates.privateText(bob, "/timezone Europe/Kyiv"));
    await h.bot.send(h.updates.privateText(bob, "/digest me 08:30"));
    expect(h.telegram.lastMessageTo(bob.id).text).toContain("Every day at 08:30 (Europe/Kyiv)");
    // 08:30 in Kyiv is 06:30Z.
    h.bot.clock.set("2026-11-28T06:29:00Z");
    expect(await h.bot.app.deliverDigests()).toBe(0);
    h.bot.clock.set("2026-11-28T06:30:00Z");
    expect(await h.bot.app.deliverDigests()).toBe(1);
    const [digest] = digestsIn(bob.id);
    expect(digest).toContain("Your day");
    expect(digest).toContain("Ship the release");
    expect(digest).not.toContain("Pay the invoice");
    await h.bot.send(h.updates.privateText(bob, "/digest me off"));
    expect(await h.sql`select chat_id from digests`).toEqual([]);
  });
});
