import type { Message } from "grammy/types";
import { describe, expect, it } from "vitest";
import { useBotHarness } from "#test/helpers/bot";
import { buttonsOf, pressOn } from "#test/helpers/buttons";
import { chatWith } from "#test/helpers/chat";
import { sealedTaskText, storedTaskFields } from "#test/helpers/tasks";
import { alice, bob, team } from "#test/helpers/updates";

const h = useBotHarness();

// The bot's clock starts on Saturday 2026-11-28 10:00 UTC; the test users live in UTC.

interface Row {
  id: number;
  title: string;
  status: string;
  dueAt: Date | null;
  dueHasTime: boolean;
  assigneeId: number | null;
  description: string | null;
  repeat: unknown;
  seriesId: number | null;
}

async function tasks(): Promise<Row[]> {
  return storedTaskFields<Row>(h.sql, [
    "id",
    "title",
    "status",
    "dueAt",
    "dueHasTime",
    "assigneeId",
    "description",
    "repeat",
    "seriesId",
  ]);
}

async function offsetsOf(taskId: number) {
  const rows = await h.sql<{ offsetMinutes: number; remindAt: Date; state: string }[]>`
    select offset_minutes, remind_at, state from reminders where task_id = ${taskId}
    order by offset_minutes`;
  return rows;
}

const { toastText, lastText, meetTeam } = chatWith(h);

describe("creating a repeating task in one line", () => {
  it("reads “every monday”, starts on the next Monday and says so on the card", async () => {
    await h.bot.send(h.updates.privateText(alice, "/newtask Water the plants every monday"));
    const [task] = await tasks();
    expect(task).toMatchObject({
      title: "Water the plants",
      dueAt: new Date("2026-11-30T00:00:00Z"),
      dueHasTime: false,
      repeat: { every: "week", weekdays: [1] },
    });
    expect(lastText(alice.id)).toContain("due Mon");
    expect(lastText(alice.id)).toContain("↻ repeats every Monday");
    expect(buttonsOf(h.telegram.lastMessageTo(alice.id)).map((b) => b.text)).toEqual([
      "✓ Done",
      "⏭ Skip",
    ]);
  });

  it("takes a due date before the rule, and a time after it", async () => {
    await h.bot.send(h.updates.privateText(alice, "/newtask Pay rent dec 15 monthly"));
    await h.bot.send(h.updates.privateText(alice, "/newtask Standup every weekday at 9:30"));
    await h.bot.send(h.updates.privateText(alice, "/newtask Backups every 2 weeks"));
    const [rent, standup, backups] = await tasks();
    expect(rent).toMatchObject({
      title: "Pay rent",
      dueAt: new Date("2026-12-15T00:00:00Z"),
      repeat: { every: "month", day: 15 },
    });
    expect(standup).toMatchObject({
      title: "Standup",
      dueAt: new Date("2026-11-30T09:30:00Z"),
      dueHasTime: true,
      repeat: { every: "weekday" },
    });
    expect(backups).toMatchObject({
      dueAt: new Date("2026-11-28T00:00:00Z"),
      repeat: { every: "days", days: 14, from: "due" },
    });
    expect(lastText(alice.id)).toContain("↻ repeats every 2 weeks");
  });

  it("keeps “every” that is no rule in the title", async () => {
    await h.bot.send(h.updates.privateText(alice, "/newtask Check every drawer friday"));
    const [task] = await tasks();
    expect(task).toMatchObject({ title: "Check every drawer", repeat: null });
  });

  it("refuses a rule it reads but cannot keep, with the reason, and saves nothing", async () => {
    await h.bot.send(h.updates.privateText(alice, "/newtask Stretch every monday after done"));
    expect(lastText(alice.id)).toBe(
      `"After done" works with a number of days or weeks, like "every 3 days after done".`,
    );
    expect(await tasks()).toEqual([]);
  });

  it("refuses a rule that starts from a date in the past, saying so, and saves nothing", async () => {
    await h.bot.send(h.updates.privateText(alice, "/newtask Pay rent 1970-01-05 monthly"));
    expect(lastText(alice.id)).toBe("That date is in the past.");
    expect(await tasks()).toEqual([]);
  });
});

describe("completing an occurrence", () => {
  it("records it and creates the next with the same assignee, description and reminders", async () => {
    await meetTeam(alice, bob);
    await h.bot.send(
      h.updates.groupText(team, alice, "/newtask Standup notes @bobby every weekday at 9:30"),
    );
    const [first] = await tasks();
    if (!first) throw new Error("no task");
    await h.sql`update tasks set description = ${sealedTaskText(first.id, "description", "Post them in the thread")}
                where id = ${first.id}`;

    // Reminders: the card's ⏰ button shows the choices; a tap adds 15 min before.
    await h.bot.send(pressOn(h.telegram, h.updates, alice, team.id, "⏰ Reminders"));
    expect(lastText(team.id)).toMatch(/⏰ Remind @bobby:$/);
    await h.bot.send(pressOn(h.telegram, h.updates, alice, team.id, "15 min before"));
    expect(toastText()).toBe("15 min before: reminder on");
    expect((await offsetsOf(first.id)).map((r) => r.offsetMinutes)).toEqual([0, 15]);
    await h.bot.send(pressOn(h.telegram, h.updates, alice, team.id, "‹ Back"));

    const card = h.telegram.lastMessageTo(team.id);
    await h.bot.send(pressOn(h.telegram, h.updates, bob, team.id, "✓ Done"));
    const [done, next] = await tasks();
    expect(done).toMatchObject({ id: first.id, status: "done", seriesId: first.id });
    expect(next).toMatchObject({
      status: "open",
      title: "Standup notes",
      description: "Post them in the thread",
      assigneeId: bob.id,
      dueAt: new Date("2026-12-01T09:30:00Z"),
      dueHasTime: true,
      repeat: { every: "weekday" },
      seriesId: first.id,
    });
    expect(await offsetsOf(next?.id ?? 0)).toEqual([
      { offsetMinutes: 0, remindAt: new Date("2026-12-01T09:30:00Z"), state: "pending" },
      { offsetMinutes: 15, remindAt: new Date("2026-12-01T09:15:00Z"), state: "pending" },
    ]);
    expect(toastText()).toBe(`#${first.id} done · next #${next?.id}`);
    const edited = h.telegram.lastMessageTo(team.id);
    expect(edited.message_id).toBe(card.message_id);
    // In the group, each member's app shows the next due time in their own zone.
    const shown = h.telegram
      .chatMessages(team.id)
      .find((m) => m.message.message_id === card.message_id)?.content;
    expect(shown?.text).toContain(`↻ next: #${next?.id}, due Tue 09:30 (UTC)`);
    expect(shown?.entities).toContainEqual(
      expect.objectContaining({
        type: "date_time",
        unix_time: Date.parse("2026-12-01T09:30:00Z") / 1000,
        date_time_format: "wdt",
      }),
    );

    // A second tap on the same card, or reopening and completing again, adds nothing.
    await h.bot.send(h.updates.callback(bob, `t:s:${first.id}:d`, card));
    expect(toastText()).toBe(`#${first.id} was already done`);
    await h.bot.send(h.updates.callback(bob, `t:s:${first.id}:o`, card));
    await h.bot.send(h.updates.callback(bob, `t:s:${first.id}:d`, card));
    expect(await tasks()).toHaveLength(2);
  });

  it("from completion, counts 7 days from a late completion", async () => {
    await h.bot.send(
      h.updates.privateText(alice, "/newtask Water the ficus every 7 days after done"),
    );
    const [first] = await tasks();
    expect(first?.dueAt).toEqual(new Date("2026-11-28T00:00:00Z"));
    expect(lastText(alice.id)).toContain("↻ repeats 7 days after done");

    h.bot.clock.set(new Date("2026-12-03T18:00:00Z"));
    await h.bot.send(h.updates.privateText(alice, `/done ${first?.id}`));
    const [, next] = await tasks();
    expect(next).toMatchObject({ status: "open", dueAt: new Date("2026-12-10T00:00:00Z") });
    expect(lastText(alice.id)).toContain(`↻ next: #${next?.id}, due 10 Dec`);
  });

  it("records a copied reminder whose moment has passed as skipped, so it never comes late", async () => {
    await h.bot.send(
      h.updates.privateText(alice, "/newtask Stretch every 1 day after done at 9:00"),
    );
    const [first] = await tasks();
    await h.bot.send(pressOn(h.telegram, h.updates, alice, alice.id, "⏰ Reminders"));
    expect(lastText(alice.id)).toMatch(/⏰ Remind you:$/);
    await h.bot.send(pressOn(h.telegram, h.updates, alice, alice.id, "1 day before"));
    h.bot.clock.set(new Date("2026-11-29T20:00:00Z"));
    await h.bot.send(h.updates.privateText(alice, `/done ${first?.id}`));
    const [, next] = await tasks();
    expect(next?.dueAt).toEqual(new Date("2026-11-30T09:00:00Z"));
    expect(await offsetsOf(next?.id ?? 0)).toEqual([
      { offsetMinutes: 0, remindAt: new Date("2026-11-30T09:00:00Z"), state: "pending" },
      { offsetMinutes: 1440, remindAt: new Date("2026-11-29T09:00:00Z"), state: "skipped" },
    ]);
  });

  it("on a schedule, a late completion goes to the next date still ahead", async () => {
    await h.bot.send(h.updates.privateText(alice, "/newtask Weekly report every monday 9:00"));
    h.bot.clock.set(new Date("2026-12-16T12:00:00Z")); // a Wednesday, two Mondays late
    const [first] = await tasks();
    await h.bot.send(h.updates.privateText(alice, `/done ${first?.id}`));
    const [, next] = await tasks();
    expect(next?.dueAt).toEqual(new Date("2026-12-21T09:00:00Z"));
  });
});

describe("skipping an occurrence", () => {
  it("moves the task and its reminders to the next date, recording nothing as done", async () => {
    await h.bot.send(h.updates.privateText(alice, "/newtask Team lunch every friday at 12:30"));
    const [task] = await tasks();
    expect(task?.dueAt).toEqual(new Date("2026-12-04T12:30:00Z"));
    await h.bot.send(pressOn(h.telegram, h.updates, alice, alice.id, "⏭ Skip"));
    expect(toastText()).toBe(`Skipped. #${task?.id} is now due 11 Dec 12:30.`);
    expect(await tasks()).toMatchObject([
      { id: task?.id, status: "open", dueAt: new Date("2026-12-11T12:30:00Z") },
    ]);
    expect(await offsetsOf(task?.id ?? 0)).toEqual([
      { offsetMinutes: 0, remindAt: new Date("2026-12-11T12:30:00Z"), state: "pending" },
    ]);
  });
});

describe("/repeat", () => {
  it("changes the rule of the open occurrence only: its date stays, done ones keep theirs", async () => {
    await h.bot.send(h.updates.privateText(alice, "/newtask Review budget every monday"));
    const [first] = await tasks();
    await h.bot.send(h.updates.privateText(alice, `/done ${first?.id}`));
    const [, second] = await tasks();
    expect(second?.dueAt).toEqual(new Date("2026-12-07T00:00:00Z"));

    await h.bot.send(h.updates.privateText(alice, `/repeat ${second?.id} every friday`));
    expect(lastText(alice.id)).toMatch(/^From the next occurrence on, it repeats every Friday\./);
    const [done, open] = await tasks();
    expect(done?.repeat).toEqual({ every: "week", weekdays: [1] });
    expect(open).toMatchObject({
      dueAt: new Date("2026-12-07T00:00:00Z"),
      repeat: { every: "week", weekdays: [5] },
    });

    await h.bot.send(h.updates.privateText(alice, `/done ${second?.id}`));
    expect((await tasks()).at(-1)?.dueAt).toEqual(new Date("2026-12-11T00:00:00Z"));
  });

  it("makes a task without a date repeat from the rule's first day, and stops it with off", async () => {
    await h.bot.send(h.updates.privateText(alice, "/newtask Clean the fridge"));
    const [task] = await tasks();
    await h.bot.send(h.updates.privateText(alice, `/repeat ${task?.id} monthly on the 1st`));
    expect(lastText(alice.id)).toContain("It repeats monthly on the 1st.");
    expect((await tasks())[0]).toMatchObject({
      dueAt: new Date("2026-12-01T00:00:00Z"),
      repeat: { every: "month", day: 1 },
    });

    await h.bot.send(h.updates.privateText(alice, `/repeat ${task?.id}`));
    expect(lastText(alice.id)).toMatch(/repeats monthly on the 1st\. Change it/);
    await h.bot.send(h.updates.privateText(alice, `/repeat ${task?.id} off`));
    expect(lastText(alice.id)).toBe(`#${task?.id} no longer repeats. It stays due as it was.`);
    await h.bot.send(h.updates.privateText(alice, `/done ${task?.id}`));
    expect(await tasks()).toMatchObject([{ status: "done", repeat: null }]);
  });

  it("sets the rule in reply to the task's card in a group", async () => {
    await meetTeam(alice);
    await h.bot.send(h.updates.groupText(team, alice, "/newtask Order coffee beans"));
    const card = h.telegram.lastMessageTo(team.id);
    await h.bot.send(
      h.updates.groupText(team, alice, "/repeat every 2 weeks", {
        replyTo: card as unknown as Message,
      }),
    );
    expect(lastText(team.id)).toMatch(/^It repeats every 2 weeks\./);
    expect((await tasks())[0]).toMatchObject({
      dueAt: new Date("2026-11-28T00:00:00Z"),
      repeat: { every: "days", days: 14, from: "due" },
    });
  });

  it("answers a rule it cannot read with examples, and another's private task as missing", async () => {
    await h.bot.send(h.updates.privateText(alice, "/newtask Stretch"));
    const [task] = await tasks();
    await h.bot.send(h.updates.privateText(alice, `/repeat ${task?.id} every blue moon`));
    expect(lastText(alice.id)).toMatch(/^I couldn't read that rule\. Try "every day"/);
    await h.bot.send(h.updates.privateText(bob, `/repeat ${task?.id} daily`));
    expect(lastText(bob.id)).toBe("No such task.");
    expect((await tasks())[0]?.repeat).toBeNull();
  });
});

describe("Done in a reminder", () => {
  it("completes the task and edits its card in the group chat in place", async () => {
    await h.bot.send(h.updates.privateText(alice, "/start"));
    await meetTeam(alice);
    await h.bot.send(h.updates.groupText(team, alice, "/newtask Order chairs tomorrow 15:00"));
    const card = h.telegram.lastMessageTo(team.id);
    h.bot.clock.set(new Date("2026-11-29T15:00:00Z"));
    expect(await h.bot.app.deliverReminders()).toMatchObject({ queued: 1 });

    await h.bot.send(pressOn(h.telegram, h.updates, alice, alice.id, "✓ Done"));
    expect((await tasks())[0]?.status).toBe("done");
    const groupEdit = h.telegram
      .callsOf("editMessageText")
      .find((call) => call.payload.chat_id === team.id);
    expect(groupEdit?.payload).toMatchObject({ message_id: card.message_id });
    expect(String(groupEdit?.payload.text)).toMatch(/^✅ #\d+ <b>Order chairs<\/b>/);
    const postedToGroup = h.telegram
      .callsOf("sendMessage")
      .filter((c) => c.payload.chat_id === team.id);
    expect(postedToGroup).toHaveLength(1);
  });
});
