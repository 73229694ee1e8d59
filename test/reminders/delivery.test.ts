import { describe, expect, it } from "vitest";
import { useBotHarness } from "#test/helpers/bot";
import { buttonsOf, pressOn } from "#test/helpers/buttons";
import { alice, bob, team } from "#test/helpers/updates";

const h = useBotHarness();
const MINUTE = 60_000;

// The bot's clock starts at 2026-11-28T10:00Z (UTC users): "tomorrow 15:00" is 2026-11-29T15:00Z.
const DUE = new Date("2026-11-29T15:00:00Z");

async function taskDueTomorrow(text = "/newtask Call the bank tomorrow 15:00") {
  await h.bot.send(h.updates.privateText(alice, text));
  const [row] = await h.sql<{ id: number }[]>`select id from tasks order by id desc limit 1`;
  if (!row) throw new Error("no task");
  h.telegram.clear();
  return row.id;
}

const remindersTo = (chatId: number) =>
  h.telegram
    .callsOf("sendMessage")
    .filter((c) => c.payload.chat_id === chatId && String(c.payload.text).startsWith("⏰"));

async function states() {
  return h.sql`select state, remind_at from reminders order by id`;
}

describe("reminders", () => {
  it("reminds the creator of an unassigned task at its due time, once, with Done, Snooze and Tomorrow", async () => {
    await taskDueTomorrow();
    h.bot.clock.set(new Date(DUE.getTime() - MINUTE));
    expect(await h.bot.app.deliverReminders()).toEqual({
      queued: 0,
      dropped: 0,
      skipped: 0,
      postponed: 0,
    });
    expect(remindersTo(alice.id)).toEqual([]);

    h.bot.clock.set(DUE);
    expect(await h.bot.app.deliverReminders()).toMatchObject({ queued: 1 });
    const [reminder] = remindersTo(alice.id);
    expect(String(reminder?.payload.text)).toContain("Call the bank");
    expect(buttonsOf(h.telegram.lastMessageTo(alice.id)).map((b) => b.text)).toEqual([
      "✓ Done",
      "Snooze 1 h",
      "Tomorrow",
    ]);
    expect(await h.bot.app.deliverReminders()).toMatchObject({ queued: 0 });
    expect(remindersTo(alice.id)).toHaveLength(1);
  });

  it("goes to the assignee when there is one", async () => {
    await h.bot.send(h.updates.privateText(bob, "/start"));
    await h.bot.send(h.updates.groupText(team, bob, "hi"));
    await h.bot.send(
      h.updates.groupText(team, alice, "/newtask Order chairs @bobby tomorrow 15:00"),
    );
    h.telegram.clear();
    h.bot.clock.set(DUE);
    await h.bot.app.deliverReminders();
    expect(remindersTo(bob.id)).toHaveLength(1);
    expect(remindersTo(alice.id)).toEqual([]);
  });

  it("sends nothing for a task completed or deleted before it fires", async () => {
    const id = await taskDueTomorrow();
    await h.bot.send(h.updates.privateText(alice, `/done ${id}`));
    h.bot.clock.set(DUE);
    expect(await h.bot.app.deliverReminders()).toMatchObject({ queued: 0, skipped: 1 });
    await h.sql`delete from tasks`;
    expect(remindersTo(alice.id)).toEqual([]);
    expect(await h.sql`select id from reminders`).toEqual([]);
  });

  it("drops a reminder more than 10 minutes late instead of sending it", async () => {
    await taskDueTomorrow();
    h.bot.clock.set(new Date(DUE.getTime() + 11 * MINUTE));
    expect(await h.bot.app.deliverReminders()).toEqual({
      queued: 0,
      dropped: 1,
      skipped: 0,
      postponed: 0,
    });
    expect(remindersTo(alice.id)).toEqual([]);
    expect((await states())[0]).toMatchObject({ state: "dropped" });
  });

  it("sends nothing to someone who blocked the bot: the outbox marks them, and their next reminder is skipped", async () => {
    await h.bot.send(h.updates.privateText(alice, "/newtask Call the bank tomorrow 15:00"));
    await h.bot.send(pressOn(h.telegram, h.updates, alice, alice.id, "⏰ Reminders"));
    await h.bot.send(pressOn(h.telegram, h.updates, alice, alice.id, "1 h before"));
    h.telegram.clear();
    h.telegram.blockChat(alice.id);

    // The claim cannot know yet: the reminder is queued, and Telegram refuses it (403).
    h.bot.clock.set(new Date(DUE.getTime() - 60 * MINUTE));
    expect(await h.bot.app.deliverReminders()).toMatchObject({ queued: 1, skipped: 0 });
    expect(h.telegram.textsTo(alice.id)).toEqual([]);
    expect(h.telegram.callsOf("sendMessage").map((c) => c.response?.ok)).toEqual([false]);
    const [user] =
      await h.sql`select blocked_at is not null as blocked from users where id = ${alice.id}`;
    expect(user).toEqual({ blocked: true });
    expect(await h.sql`select id from outbox`).toEqual([]);

    // Now it is known: the reminder at the due time is skipped, not even tried.
    h.bot.clock.set(DUE);
    expect(await h.bot.app.deliverReminders()).toMatchObject({ queued: 0, skipped: 1 });
    expect(h.telegram.callsOf("sendMessage")).toHaveLength(1);
    expect(await h.sql`select state from reminders order by remind_at`).toEqual([
      { state: "sent" },
      { state: "skipped" },
    ]);
  });

  it("is sent once when two instances deliver at the same moment", async () => {
    await taskDueTomorrow();
    const { createTestBot } = await import("#test/helpers/bot");
    const other = createTestBot({ sql: h.sql, telegram: h.telegram, clock: h.bot.clock });
    h.bot.clock.set(DUE);
    const [first, second] = await Promise.all([
      h.bot.app.deliverReminders(),
      other.app.deliverReminders(),
    ]);
    expect(first.queued + second.queued).toBe(1);
    expect(remindersTo(alice.id)).toHaveLength(1);
  });

  it("waits for the end of quiet hours in the user's timezone", async () => {
    await h.bot.send(h.updates.privateText(alice, "/timezone Europe/Kyiv"));
    await h.bot.send(h.updates.privateText(alice, "/quiet 22:00-08:00"));
    expect(h.telegram.lastMessageTo(alice.id).text).toContain(
      "Quiet hours: 22:00–08:00 (Europe/Kyiv)",
    );
    // 23:30 in Kyiv (UTC+2) on 2026-11-29.
    await taskDueTomorrow("/newtask Late call tomorrow 23:30");
    h.bot.clock.set("2026-11-29T21:30:00Z");
    expect(await h.bot.app.deliverReminders()).toMatchObject({ queued: 0, postponed: 1 });
    expect((await states())[0]).toEqual({
      state: "pending",
      remindAt: new Date("2026-11-30T06:00:00Z"),
    });
    h.bot.clock.set("2026-11-30T06:00:00Z");
    expect(await h.bot.app.deliverReminders()).toMatchObject({ queued: 1 });
  });

  it("snoozes for an hour, or until the same time tomorrow", async () => {
    await taskDueTomorrow();
    h.bot.clock.set(DUE);
    await h.bot.app.deliverReminders();
    await h.bot.send(pressOn(h.telegram, h.updates, alice, alice.id, "Snooze 1 h"));
    expect(h.telegram.callsOf("answerCallbackQuery").at(-1)?.payload.text).toBe(
      "I'll remind you again in an hour.",
    );
    expect((await states())[0]).toEqual({
      state: "pending",
      remindAt: new Date("2026-11-29T16:00:00Z"),
    });
    h.bot.clock.set("2026-11-29T16:00:00Z");
    expect(await h.bot.app.deliverReminders()).toMatchObject({ queued: 1 });

    await h.bot.send(pressOn(h.telegram, h.updates, alice, alice.id, "Tomorrow"));
    expect((await states())[0]).toEqual({
      state: "pending",
      remindAt: new Date("2026-11-30T16:00:00Z"),
    });
    await h.bot.send(pressOn(h.telegram, h.updates, bob, alice.id, "✓ Done"));
    expect((await h.sql`select status from tasks`)[0]).toEqual({ status: "open" });
  });

  it("completes the task with Done, exactly as elsewhere", async () => {
    await taskDueTomorrow();
    h.bot.clock.set(DUE);
    await h.bot.app.deliverReminders();
    await h.bot.send(pressOn(h.telegram, h.updates, alice, alice.id, "✓ Done"));
    expect((await h.sql`select status from tasks`)[0]).toEqual({ status: "done" });
  });

  it("reminds before the due time when chosen on the card, and at the due time too", async () => {
    await h.bot.send(h.updates.privateText(alice, "/newtask Call the bank tomorrow 15:00"));
    await h.bot.send(pressOn(h.telegram, h.updates, alice, alice.id, "⏰ Reminders"));
    await h.bot.send(pressOn(h.telegram, h.updates, alice, alice.id, "1 h before"));
    h.telegram.clear();
    h.bot.clock.set(new Date(DUE.getTime() - 60 * MINUTE));
    expect(await h.bot.app.deliverReminders()).toMatchObject({ queued: 1 });
    expect(String(remindersTo(alice.id)[0]?.payload.text)).toContain("Call the bank");
    h.bot.clock.set(DUE);
    expect(await h.bot.app.deliverReminders()).toMatchObject({ queued: 1 });
    expect(remindersTo(alice.id)).toHaveLength(2);
  });

  it("keeps 09:00 in the user's timezone across a DST change, for Tomorrow and the next occurrence", async () => {
    // Kyiv moves from UTC+2 to UTC+3 in the night to 2027-03-28.
    await h.bot.send(h.updates.privateText(alice, "/timezone Europe/Kyiv"));
    h.bot.clock.set("2027-03-27T05:00:00Z");
    await h.bot.send(h.updates.privateText(alice, "/newtask Standup every day at 9:00"));
    h.bot.clock.set("2027-03-27T07:00:00Z");
    expect(await h.bot.app.deliverReminders()).toMatchObject({ queued: 1 });

    await h.bot.send(pressOn(h.telegram, h.updates, alice, alice.id, "Tomorrow"));
    expect((await states())[0]).toEqual({
      state: "pending",
      remindAt: new Date("2027-03-28T06:00:00Z"),
    });
    const [first] = await h.sql<{ id: number }[]>`select min(id)::int as id from tasks`;
    await h.bot.send(h.updates.privateText(alice, `/done ${first?.id}`));
    const [next] = await h.sql<{ remindAt: Date }[]>`
      select r.remind_at from reminders r join tasks t on t.id = r.task_id
      where t.status = 'open'`;
    expect(next?.remindAt).toEqual(new Date("2027-03-28T06:00:00Z"));
    h.bot.clock.set("2027-03-28T06:00:00Z");
    expect(await h.bot.app.deliverReminders()).toMatchObject({ queued: 1 });
  });

  it("moves with the due date and goes away without one", async () => {
    const id = await taskDueTomorrow();
    await h.sql`update tasks set due_at = '2026-12-01T09:00:00Z' where id = ${id}`;
    expect(await states()).toEqual([
      { state: "pending", remindAt: new Date("2026-12-01T09:00:00Z") },
    ]);
    await h.sql`update tasks set due_at = null where id = ${id}`;
    expect(await states()).toEqual([]);
  });
});

describe("/timezone and /quiet", () => {
  it("accept IANA names and clock ranges, and explain anything else", async () => {
    await h.bot.send(h.updates.privateText(alice, "/timezone Mars/Olympus"));
    expect(h.telegram.lastMessageTo(alice.id).text).toContain(
      "I don't know the timezone “Mars/Olympus”",
    );
    await h.bot.send(h.updates.privateText(alice, "/timezone america/new_york"));
    expect(h.telegram.lastMessageTo(alice.id).text).toContain(
      "Your timezone is now America/New_York",
    );
    expect((await h.sql`select timezone from users where id = ${alice.id}`)[0]).toEqual({
      timezone: "America/New_York",
    });
    await h.bot.send(h.updates.privateText(alice, "/quiet 25:00-08:00"));
    expect(h.telegram.lastMessageTo(alice.id).text).toContain(
      "Send quiet hours as /quiet 22:00-08:00",
    );
    await h.bot.send(h.updates.privateText(alice, "/quiet off"));
    expect((await h.sql`select quiet_start from users where id = ${alice.id}`)[0]).toEqual({
      quietStart: null,
    });
  });
});
