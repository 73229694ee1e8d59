import { describe, expect, it, vi } from "vitest";
import { createTestBot, useBotHarness } from "#test/helpers/bot";
import { chatWith } from "#test/helpers/chat";
import { storedTaskFields } from "#test/helpers/tasks";
import { alice, bob, carol, team } from "#test/helpers/updates";

const h = useBotHarness();

const { lastText } = chatWith(h);

/** Buttons of the last message with a keyboard sent to the chat, as [text, data]. */
function lastButtons(chatId: number): Array<[string, string]> {
  const calls = h.telegram.calls.filter(
    (c) =>
      (c.method === "sendMessage" || c.method === "editMessageText") &&
      c.payload.chat_id === chatId &&
      c.payload.reply_markup,
  );
  const markup = calls[calls.length - 1]?.payload.reply_markup as
    | { inline_keyboard: Array<Array<{ text: string; callback_data: string }>> }
    | undefined;
  return (markup?.inline_keyboard ?? []).flat().map((b) => [b.text, b.callback_data]);
}

async function tasksInDb() {
  return storedTaskFields<{
    title: string;
    description: string | null;
    assigneeId: number | null;
    priority: string;
    teamId: number | null;
    dueAt: Date | null;
    dueHasTime: boolean;
  }>(h.sql, ["title", "description", "assigneeId", "priority", "teamId", "dueAt", "dueHasTime"]);
}

describe("/newtask guided conversation", () => {
  it("walks through every step in private and creates the task on Create", async () => {
    await h.bot.send(h.updates.privateText(alice, "/start"));
    await h.bot.send(h.updates.privateText(alice, "/newtask"));
    expect(lastText(alice.id)).toContain("What is the task?");

    await h.bot.send(h.updates.privateText(alice, "Write the quarterly report"));
    expect(lastText(alice.id)).toContain("Add a description");
    await h.bot.send(h.updates.privateText(alice, "Numbers from finance, charts from design"));
    expect(lastText(alice.id)).toContain("Who should do it?");
    await h.bot.send(h.updates.privateText(alice, "me"));
    expect(lastText(alice.id)).toContain("When is it due?");
    await h.bot.send(h.updates.privateText(alice, "2026-12-24 15:00"));

    // Reminders: at the due time is on; a tap adds an hour before, and redraws the buttons.
    expect(lastText(alice.id)).toContain("When should I remind?");
    expect(lastButtons(alice.id).map(([text]) => text)).toEqual([
      "✓ At due time",
      "15 min before",
      "1 h before",
      "1 day before",
      "Done",
    ]);
    const reminderMessage = h.telegram.lastMessageTo(alice.id);
    await h.bot.send(h.updates.callback(alice, "nt:r:60", reminderMessage));
    const redrawn = h.telegram.callsOf("editMessageReplyMarkup").at(-1);
    expect(redrawn?.payload.message_id).toBe(reminderMessage.message_id);
    expect(JSON.stringify(redrawn?.payload.reply_markup)).toContain("✓ 1 h before");
    await h.bot.send(h.updates.callback(alice, "nt:r:ok", reminderMessage));

    // Repeat: the buttons are worded for the due date, a Thursday the 24th.
    expect(lastText(alice.id)).toContain("Does it repeat?");
    expect(lastButtons(alice.id).map(([text]) => text)).toEqual([
      "Every day",
      "Weekdays",
      "Every Thursday",
      "Monthly on the 24th",
      "No",
    ]);
    await h.bot.send(h.updates.privateText(alice, "every full moon"));
    expect(lastText(alice.id)).toMatch(/^I couldn't read that rule\..*Does it repeat\?/s);
    const repeatMessage = h.telegram.lastMessageTo(alice.id);
    await h.bot.send(h.updates.callback(alice, "nt:rp:monthly", repeatMessage));
    expect(lastText(alice.id)).toContain("How important is it?");
    expect(lastButtons(alice.id).map(([text]) => text)).toEqual(["Low", "Normal", "‼️ High"]);

    const priorityMessage = h.telegram.lastMessageTo(alice.id);
    await h.bot.send(h.updates.callback(alice, "nt:p:high", priorityMessage));
    const summary = lastText(alice.id);
    expect(summary).toContain("Write the quarterly report");
    expect(summary).toContain("Assignee: @alice");
    expect(summary).toContain("Due: 24 Dec 15:00");
    expect(summary).toContain("Priority: high");
    expect(summary).toContain("Reminders: at due time, 1 h before");
    expect(summary).toContain("Repeats: monthly on the 24th");
    expect(await tasksInDb()).toEqual([]);

    const summaryMessage = h.telegram.lastMessageTo(alice.id);
    await h.bot.send(h.updates.callback(alice, "nt:create", summaryMessage));

    const [task] = await tasksInDb();
    expect(task).toMatchObject({
      title: "Write the quarterly report",
      description: "Numbers from finance, charts from design",
      assigneeId: alice.id,
      priority: "high",
      teamId: null,
      dueHasTime: true,
    });
    expect(task?.dueAt?.toISOString()).toBe("2026-12-24T15:00:00.000Z");
    const [stored] = await h.sql<{ repeat: unknown; offsets: number[] }[]>`
      select t.repeat, array(select offset_minutes from reminders r where r.task_id = t.id
                             order by offset_minutes) as offsets
      from tasks t`;
    expect(stored).toEqual({ repeat: { every: "month", day: 24 }, offsets: [0, 60] });
    const edit = h.telegram.callsOf("editMessageText").at(-1);
    expect(edit?.payload.message_id).toBe(summaryMessage.message_id);
    expect(String(edit?.payload.text)).toMatch(
      /^#\d+ <b>Write the quarterly report<\/b> · @alice · due 24 Dec 15:00 · ‼️ high/,
    );
  });

  it("re-asks with a one-line reason after a bad answer and saves nothing until Create", async () => {
    await h.bot.send(h.updates.privateText(alice, "/newtask"));
    await h.bot.send(h.updates.privateText(alice, "/skip"));
    expect(lastText(alice.id)).toMatch(/^This one is needed\. What is the task\?/);
    await h.bot.send(h.updates.privateText(alice, "x".repeat(201)));
    expect(lastText(alice.id)).toMatch(
      /^The title is too long \(at most 200 characters\)\. What is the task\?/,
    );
    await h.bot.send(h.updates.privateText(alice, "Book the venue"));
    await h.bot.send(h.updates.privateText(alice, "/skip"));
    await h.bot.send(h.updates.privateText(alice, "@nobody_known"));
    expect(lastText(alice.id)).toContain("I don't know @nobody_known from any of your groups.");
    expect(lastText(alice.id)).toContain("Who should do it?");
    await h.bot.send(h.updates.privateText(alice, "/skip"));
    await h.bot.send(h.updates.privateText(alice, "someday maybe"));
    expect(lastText(alice.id)).toMatch(/^I couldn't read that date\./);
    await h.bot.send(h.updates.privateText(alice, "2020-01-01"));
    expect(lastText(alice.id)).toMatch(/^That date is in the past\./);
    await h.bot.send(h.updates.privateText(alice, "tomorrow"));
    await h.bot.send(h.updates.privateText(alice, "/skip"));
    await h.bot.send(h.updates.privateText(alice, "urgent"));
    expect(lastText(alice.id)).toMatch(/^Choose low, normal or high\./);
    await h.bot.send(h.updates.privateText(alice, "/skip"));
    expect(lastText(alice.id)).toContain("Due: tomorrow");
    expect(lastText(alice.id)).toContain("Repeats: no");
    expect(lastText(alice.id)).not.toContain("Reminders:");
    expect(lastText(alice.id)).toContain("Priority: normal");
    expect(await tasksInDb()).toEqual([]);
  });

  it("leaves at any step with /cancel and saves nothing", async () => {
    await h.bot.send(h.updates.privateText(alice, "/newtask"));
    await h.bot.send(h.updates.privateText(alice, "Draft the invite"));
    await h.bot.send(h.updates.privateText(alice, "Some words"));
    await h.bot.send(h.updates.privateText(alice, "/cancel"));
    expect(lastText(alice.id)).toBe("Cancelled. Nothing was saved.");
    expect(await tasksInDb()).toEqual([]);
    const forms = await h.sql`select 1 from conversations`;
    expect(forms.length).toBe(0);

    // The next message is an ordinary message again, not an answer.
    h.telegram.clear();
    await h.bot.send(h.updates.privateText(alice, "/cancel"));
    expect(lastText(alice.id)).toBe("There is nothing to cancel.");
  });

  it("cancels from the summary's Cancel button", async () => {
    await h.bot.send(h.updates.privateText(alice, "/newtask"));
    for (const answer of ["Plan the offsite", "/skip", "/skip", "/skip", "/skip"]) {
      await h.bot.send(h.updates.privateText(alice, answer));
    }
    const summary = h.telegram.lastMessageTo(alice.id);
    await h.bot.send(h.updates.callback(alice, "nt:cancel", summary));
    expect(lastText(alice.id)).toBe("Cancelled. Nothing was saved.");
    expect(await tasksInDb()).toEqual([]);
  });

  it("keeps group forms per member: others neither answer nor disturb them", async () => {
    await h.bot.send(h.updates.groupText(team, bob, "hello all"));
    await h.bot.send(h.updates.groupText(team, carol, "hi"));
    await h.bot.send(h.updates.groupText(team, alice, "/newtask"));
    await h.bot.send(h.updates.groupText(team, bob, "/newtask"));
    await h.bot.send(h.updates.groupText(team, carol, "lunch anyone?"));
    await h.bot.send(h.updates.groupText(team, alice, "Fix the login page"));
    await h.bot.send(h.updates.groupText(team, bob, "Order new chairs"));
    await h.bot.send(h.updates.groupText(team, alice, "/skip"));

    // Alice is now at the assignee step: buttons name the members the bot has seen.
    const names = lastButtons(team.id).map(([text]) => text);
    expect(names).toEqual(expect.arrayContaining(["Me", "Skip", "@alice", "@bobby", "@carol"]));
    const bobButton = lastButtons(team.id).find(([text]) => text === "@bobby");
    const assigneeMessage = h.telegram.lastMessageTo(team.id);
    // Carol pressing Alice's button is not an answer to Alice's form.
    await h.bot.send(h.updates.callback(carol, bobButton?.[1] ?? "", assigneeMessage));
    expect(h.telegram.callsOf("answerCallbackQuery").at(-1)?.payload.text).toBe(
      "This form has ended or belongs to someone else.",
    );
    await h.bot.send(h.updates.callback(alice, bobButton?.[1] ?? "", assigneeMessage));
    for (const answer of ["/skip", "/skip"])
      await h.bot.send(h.updates.groupText(team, alice, answer));
    const summary = h.telegram.lastMessageTo(team.id);
    await h.bot.send(h.updates.callback(alice, "nt:create", summary));

    const tasks = await tasksInDb();
    expect(tasks).toEqual([
      expect.objectContaining({ title: "Fix the login page", assigneeId: bob.id, teamId: team.id }),
    ]);
    // Bob's own form is still waiting for his description.
    const bobForm =
      await h.sql`select 1 from conversations where chat_id = ${team.id} and user_id = ${bob.id}`;
    expect(bobForm.length).toBe(1);
  });

  it("rejects an assignee who is not a member of the group", async () => {
    await h.bot.send(h.updates.privateText(carol, "/start"));
    await h.bot.send(h.updates.groupText(team, alice, "/newtask"));
    await h.bot.send(h.updates.groupText(team, alice, "Water the plants"));
    await h.bot.send(h.updates.groupText(team, alice, "/skip"));
    await h.bot.send(h.updates.groupText(team, alice, "@carol"));
    expect(lastText(team.id)).toMatch(/^I don't know @carol in this group yet/);
  });

  it("survives a restart in the middle: a new bot on the same database continues the form", async () => {
    await h.bot.send(h.updates.privateText(alice, "/newtask"));
    await h.bot.send(h.updates.privateText(alice, "Renew the domain"));

    const restarted = createTestBot({ sql: h.sql, telegram: h.telegram });
    await restarted.send(h.updates.privateText(alice, "Before it expires"));
    expect(lastText(alice.id)).toContain("Who should do it?");
    for (const answer of ["me", "/skip", "low"])
      await restarted.send(h.updates.privateText(alice, answer));
    const summary = h.telegram.lastMessageTo(alice.id);
    await restarted.send(h.updates.callback(alice, "nt:create", summary));
    expect(await tasksInDb()).toEqual([
      expect.objectContaining({
        title: "Renew the domain",
        description: "Before it expires",
        priority: "low",
      }),
    ]);
    // Each question was asked exactly once: no step lost or repeated across the restart.
    expect(
      h.telegram.textsTo(alice.id).filter((t) => t.includes("Who should do it?")),
    ).toHaveLength(1);
  });

  it("lets other commands work in the middle of a form", async () => {
    await h.bot.send(h.updates.privateText(alice, "/newtask"));
    await h.bot.send(h.updates.privateText(alice, "/tasks"));
    expect(lastText(alice.id)).toContain("No open tasks");
    await h.bot.send(h.updates.privateText(alice, "/newtask"));
    expect(lastText(alice.id)).toBe(
      "You are already creating a task: answer the question above, or /cancel.",
    );
    await h.bot.send(h.updates.privateText(alice, "Still my title"));
    expect(lastText(alice.id)).toContain("Add a description");
  });

  it("lets a form left idle for 30 minutes go, so later messages are ordinary again", async () => {
    // The conversations plugin measures idle time with Date.now, so only Date is faked.
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2026-11-28T10:00:00Z") });
    try {
      await h.bot.send(h.updates.privateText(alice, "/newtask"));
      await h.bot.send(h.updates.privateText(alice, "Forgotten title"));
      vi.setSystemTime(new Date("2026-11-28T10:31:00Z"));
      h.telegram.clear();
      await h.bot.send(h.updates.privateText(alice, "just chatting"));
      expect(h.telegram.textsTo(alice.id)).toEqual([]);
      await h.bot.send(h.updates.privateText(alice, "/cancel"));
      expect(h.telegram.textsTo(alice.id)).toEqual(["There is nothing to cancel."]);
    } finally {
      vi.useRealTimers();
    }
    expect(await tasksInDb()).toEqual([]);
  });
});
