import type { Message } from "grammy/types";
import { describe, expect, it } from "vitest";
import { useBotHarness } from "#test/helpers/bot";
import { chatWith } from "#test/helpers/chat";
import { TEST_BOT_INFO } from "#test/helpers/fake-telegram";
import { storedTaskFields } from "#test/helpers/tasks";
import { alice, bob, carol, otherTeam, team } from "#test/helpers/updates";

const h = useBotHarness();

const { lastText, toastText, meetTeam } = chatWith(h);

function keyboardOf(
  call: { payload: Record<string, unknown> } | undefined,
): Array<[string, string]> {
  const markup = call?.payload.reply_markup as
    | { inline_keyboard: Array<Array<{ text: string; callback_data: string }>> }
    | undefined;
  return (markup?.inline_keyboard ?? []).flat().map((b) => [b.text, b.callback_data]);
}

const lastSent = (chatId: number) =>
  h.telegram.calls
    .filter(
      (c) => ["sendMessage", "editMessageText"].includes(c.method) && c.payload.chat_id === chatId,
    )
    .at(-1);

async function task(id: number) {
  const [row] = await storedTaskFields<{ status: string; doneAt: Date | null; title: string }>(
    h.sql,
    ["status", "doneAt", "title"],
    (sql) => sql`id = ${id}`,
  );
  return row;
}

async function lastTaskId(): Promise<number> {
  const [row] = await h.sql<{ id: number }[]>`select max(id)::int as id from tasks`;
  return row?.id ?? 0;
}

describe("/start and /help", () => {
  it("welcomes in private with what the bot does, a line on data, and the commands", async () => {
    await h.bot.send(h.updates.privateText(alice, "/start"));
    const [text = ""] = h.telegram.textsTo(alice.id);
    expect(text).toContain("Hi Alice!");
    expect(text).toContain("/privacy");
    for (const command of ["/newtask", "/tasks", "/done", "/task", "/help"])
      expect(text).toContain(command);
  });

  it("lists every command with one line each in /help", async () => {
    await h.bot.send(h.updates.privateText(alice, "/help"));
    const lines = lastText(alice.id)
      .split("\n")
      .filter((line) => line.startsWith("/"));
    expect(lines.map((line) => line.split(" ")[0])).toEqual([
      "/start",
      "/help",
      "/newtask",
      "/tasks",
      "/done",
      "/task",
      "/cancel",
      "/repeat",
      "/timezone",
      "/quiet",
      "/digest",
      "/privacy",
      "/consent",
      "/export",
      "/delete",
    ]);
  });
});

describe("one-line /newtask", () => {
  it("takes out the @mention, the due phrase and the priority, and replies with the card", async () => {
    await meetTeam(alice);
    await h.bot.send(
      h.updates.groupText(team, alice, "/newtask Fix the login page @alice tomorrow !high"),
    );
    const [row] = await storedTaskFields(h.sql, [
      "title",
      "assigneeId",
      "priority",
      "dueAt",
      "dueHasTime",
      "teamId",
    ]);
    expect(row).toEqual({
      title: "Fix the login page",
      assigneeId: alice.id,
      priority: "high",
      dueAt: new Date("2026-11-29T00:00:00Z"),
      dueHasTime: false,
      teamId: team.id,
    });
    expect(lastText(team.id)).toMatch(
      /^#\d+ <b>Fix the login page<\/b> · @alice · due tomorrow · ‼️ high$/,
    );
    expect(keyboardOf(lastSent(team.id)).map(([text]) => text)).toEqual(["✓ Done"]);
  });

  it("accepts a title alone, !low, and an exact date with time", async () => {
    await h.bot.send(h.updates.privateText(alice, "/newtask Pay rent 2026-12-01 09:30 !low"));
    const [row] = await storedTaskFields(h.sql, ["title", "priority", "dueAt", "teamId"]);
    expect(row).toEqual({
      title: "Pay rent",
      priority: "low",
      dueAt: new Date("2026-12-01T09:30:00Z"),
      teamId: null,
    });
  });

  it("refuses an unknown @user with a reason and creates nothing", async () => {
    await meetTeam(alice);
    await h.bot.send(h.updates.groupText(team, alice, "/newtask Review PR @ghost_user"));
    expect(lastText(team.id)).toBe(
      "I don't know @ghost_user in this group yet: they need to write here once.",
    );
    expect(await lastTaskId()).toBe(0);
  });

  it("tells the assignee privately, but not the creator assigning themselves", async () => {
    await h.bot.send(h.updates.privateText(bob, "/start"));
    await h.bot.send(h.updates.privateText(alice, "/start"));
    await meetTeam(alice, bob);
    h.telegram.clear();
    await h.bot.send(h.updates.groupText(team, alice, "/newtask Ship the release @bobby"));
    expect(lastText(bob.id)).toMatch(
      /^Alice assigned you a task:\n\n#\d+ <b>Ship the release<\/b>/,
    );
    await h.bot.send(h.updates.groupText(team, alice, "/newtask Write notes @alice"));
    expect(h.telegram.textsTo(alice.id)).toEqual([]);
  });
});

describe("reply /task", () => {
  it("turns the replied message into a task that links back to it", async () => {
    const source = h.updates.groupText(
      team,
      bob,
      "The staging server is down again, someone please restart it",
    );
    await h.bot.send(source);
    await h.bot.send(
      h.updates.groupText(team, alice, "/task", { replyTo: h.updates.lastMessage(source) }),
    );
    const [row] = await storedTaskFields(h.sql, [
      "title",
      "description",
      "sourceChatId",
      "sourceMessageId",
      "creatorId",
    ]);
    expect(row).toEqual({
      title: "The staging server is down again, someone please restart it",
      description: null,
      sourceChatId: team.id,
      sourceMessageId: h.updates.lastMessage(source).message_id,
      creatorId: alice.id,
    });
    expect(lastText(team.id)).toContain(
      `https://t.me/c/1234567890/${h.updates.lastMessage(source).message_id}`,
    );
  });

  it("keeps a long message whole: 200 characters as title, the full text as description", async () => {
    const long = `${"word ".repeat(80)}end`;
    const source = h.updates.groupText(team, bob, long);
    await h.bot.send(source);
    await h.bot.send(
      h.updates.groupText(team, alice, "/task", { replyTo: h.updates.lastMessage(source) }),
    );
    const [row] = await storedTaskFields<{ title: string; description: string }>(h.sql, [
      "title",
      "description",
    ]);
    expect(row?.title.length).toBeLessThanOrEqual(200);
    expect(row?.title.endsWith("…")).toBe(true);
    expect(row?.description).toBe(long);
  });

  it("explains how to use it when not replying", async () => {
    await h.bot.send(h.updates.groupText(team, alice, "/task"));
    expect(lastText(team.id)).toBe("Reply /task to a message to turn it into a task.");
  });
});

describe("/tasks lists", () => {
  it("pages 10 at a time and pages by editing the same message", async () => {
    await meetTeam(alice);
    for (let i = 1; i <= 23; i++)
      await h.bot.send(h.updates.groupText(team, alice, `/newtask Task number ${i}`));
    h.telegram.clear();
    await h.bot.send(h.updates.groupText(team, alice, "/tasks"));
    const first = lastSent(team.id);
    expect(String(first?.payload.text)).toContain("Open tasks</b> · Core team (23)");
    expect(String(first?.payload.text)).toContain("Task number 23");
    expect(String(first?.payload.text)).not.toContain("Task number 13");
    const buttons = keyboardOf(first);
    expect(buttons.filter(([text]) => text.startsWith("✓ Done"))).toHaveLength(10);
    expect(buttons.slice(-3).map(([text]) => text)).toEqual(["‹", "1/3", "›"]);

    const listMessage = h.telegram.lastMessageTo(team.id);
    const next = buttons.at(-1)?.[1] ?? "";
    await h.bot.send(h.updates.callback(bob, next, listMessage));
    const edit = h.telegram.callsOf("editMessageText").at(-1);
    expect(edit?.payload.message_id).toBe(listMessage.message_id);
    expect(String(edit?.payload.text)).toContain("Task number 13");
    expect(
      keyboardOf(edit)
        .slice(-3)
        .map(([text]) => text),
    ).toEqual(["‹", "2/3", "›"]);
    expect(h.telegram.callsOf("sendMessage")).toHaveLength(1);
  });

  it("shows in private the open tasks I created or am assigned, and /tasks done the completed ones", async () => {
    await meetTeam(alice, bob);
    await h.bot.send(h.updates.groupText(team, bob, "/newtask For alice @alice"));
    await h.bot.send(h.updates.groupText(team, bob, "/newtask Bob's own"));
    await h.bot.send(h.updates.privateText(alice, "/newtask Alice private"));
    await h.bot.send(h.updates.privateText(bob, "/newtask Bob private"));
    await h.bot.send(h.updates.privateText(alice, "/tasks"));
    const text = lastText(alice.id);
    expect(text).toContain("For alice");
    expect(text).toContain("👥 Core team");
    expect(text).toContain("Alice private");
    expect(text).not.toContain("Bob's own");
    expect(text).not.toContain("Bob private");

    const privateId = await lastTaskId();
    await h.bot.send(h.updates.privateText(bob, `/done ${privateId}`));
    await h.bot.send(h.updates.privateText(bob, "/tasks done"));
    expect(lastText(bob.id)).toContain("Recently completed");
    expect(lastText(bob.id)).toContain("Bob private");
  });

  it("says what to do when there is nothing", async () => {
    await h.bot.send(h.updates.privateText(carol, "/tasks"));
    expect(lastText(carol.id)).toContain("No open tasks. Create one with /newtask.");
  });
});

describe("completing and reopening", () => {
  it("Done on a card edits it in place, toasts, and tells the creator", async () => {
    await h.bot.send(h.updates.privateText(alice, "/start"));
    await meetTeam(alice, bob);
    await h.bot.send(h.updates.groupText(team, alice, "/newtask Clean the kitchen"));
    const id = await lastTaskId();
    const card = lastSent(team.id);
    const cardMessage = h.telegram.lastMessageTo(team.id);
    const done = keyboardOf(card)[0]?.[1] ?? "";
    await h.bot.send(h.updates.callback(bob, done, cardMessage));

    expect(await task(id)).toMatchObject({ status: "done" });
    const edit = h.telegram.callsOf("editMessageText").at(-1);
    expect(edit?.payload.message_id).toBe(cardMessage.message_id);
    expect(String(edit?.payload.text)).toMatch(/^✅ #\d+ <b>Clean the kitchen<\/b>/);
    expect(keyboardOf(edit).map(([text]) => text)).toEqual(["↺ Reopen"]);
    expect(toastText()).toBe(`#${id} done`);
    expect(lastText(alice.id)).toMatch(/^Bob completed a task:/);

    // Pressing again (a double tap) changes nothing and tells nobody twice.
    const notices = h.telegram.textsTo(alice.id).length;
    await h.bot.send(h.updates.callback(bob, done, cardMessage));
    expect(toastText()).toBe(`#${id} was already done`);
    expect(h.telegram.textsTo(alice.id)).toHaveLength(notices);

    const reopen = keyboardOf(edit)[0]?.[1] ?? "";
    await h.bot.send(h.updates.callback(alice, reopen, cardMessage));
    expect(await task(id)).toMatchObject({ status: "open", doneAt: null });
    expect(toastText()).toBe(`#${id} reopened`);
  });

  it("Done in a list redraws the list without the task", async () => {
    await meetTeam(alice);
    await h.bot.send(h.updates.groupText(team, alice, "/newtask First"));
    await h.bot.send(h.updates.groupText(team, alice, "/newtask Second"));
    await h.bot.send(h.updates.groupText(team, alice, "/tasks"));
    const list = lastSent(team.id);
    const second = await lastTaskId();
    const doneSecond = keyboardOf(list).find(([text]) => text.includes(`#${second}`))?.[1] ?? "";
    const message = h.telegram.lastMessageTo(team.id);
    await h.bot.send(h.updates.callback(alice, doneSecond, message));
    const edits = h.telegram.callsOf("editMessageText");
    const listEdit = edits.find((call) => call.payload.message_id === message.message_id);
    expect(String(listEdit?.payload.text)).toContain("(1)");
    expect(String(listEdit?.payload.text)).not.toContain("Second");
    // The card Second was created with, further up the chat, shows it done too.
    const cardEdit = edits.find((call) => call.payload.message_id !== message.message_id);
    expect(cardEdit?.payload).toMatchObject({ chat_id: team.id });
    expect(String(cardEdit?.payload.text)).toMatch(/^✅ #\d+ <b>Second<\/b>/);
  });

  it("/done 12 completes by number; a missing or hidden task is 'No such task.'", async () => {
    await meetTeam(alice);
    await h.bot.send(h.updates.groupText(team, alice, "/newtask Order pizza"));
    const id = await lastTaskId();
    await h.bot.send(h.updates.groupText(team, alice, `/done ${id}`));
    expect(await task(id)).toMatchObject({ status: "done" });
    expect(lastText(team.id)).toMatch(/^✅ #\d+ <b>Order pizza/);
    await h.bot.send(h.updates.groupText(team, alice, "/done 99999"));
    expect(lastText(team.id)).toBe("No such task.");
    await h.bot.send(h.updates.groupText(team, alice, "/done soon"));
    expect(lastText(team.id)).toBe(
      "Which task? Send /done and its number, for example /done 12, or reply /done to a task card.",
    );
  });
});

describe("/done as a reply", () => {
  it("completes the task of the card it replies to", async () => {
    await meetTeam(alice);
    await h.bot.send(h.updates.groupText(team, alice, "/newtask Sweep the floor"));
    const id = await lastTaskId();
    const card = h.telegram.lastMessageTo(team.id);
    await h.bot.send(
      h.updates.groupText(team, alice, "/done", { replyTo: card as unknown as Message }),
    );
    expect(await task(id)).toMatchObject({ status: "done" });
  });

  it("ignores a reply to someone else's message that merely looks like a card", async () => {
    await meetTeam(alice);
    await h.bot.send(h.updates.groupText(team, alice, "/newtask Real task"));
    const fake = h.updates.groupText(team, alice, `#${await lastTaskId()} looks like a card`);
    await h.bot.send(fake);
    await h.bot.send(
      h.updates.groupText(team, alice, "/done", { replyTo: h.updates.lastMessage(fake) }),
    );
    expect(lastText(team.id)).toMatch(/^Which task\?/);
    expect(await task(await lastTaskId())).toMatchObject({ status: "open" });
  });
});

describe("who may do what", () => {
  it("hides a private task from everyone but its creator and assignee", async () => {
    await h.bot.send(h.updates.privateText(alice, "/newtask Secret plan"));
    const id = await lastTaskId();
    await h.bot.send(h.updates.privateText(bob, `/done ${id}`));
    expect(lastText(bob.id)).toBe("No such task.");
    expect(await task(id)).toMatchObject({ status: "open" });
  });

  it("never shows a private task in a group, even to its creator", async () => {
    await meetTeam(alice);
    await h.bot.send(h.updates.privateText(alice, "/newtask Secret plan"));
    const id = await lastTaskId();
    await h.bot.send(h.updates.groupText(team, alice, `/done ${id}`));
    expect(lastText(team.id)).toBe("No such task.");
    expect(h.telegram.textsTo(team.id).join("\n")).not.toContain("Secret plan");
  });

  it("refuses a team's task to a non-member, from private or another group", async () => {
    await meetTeam(alice);
    await h.bot.send(h.updates.groupText(team, alice, "/newtask Team only"));
    const id = await lastTaskId();
    await h.bot.send(h.updates.privateText(carol, `/done ${id}`));
    expect(lastText(carol.id)).toBe("No such task.");
    await h.bot.send(h.updates.groupText(otherTeam, carol, `/done ${id}`));
    expect(lastText(otherTeam.id)).toBe("No such task.");
    expect(await task(id)).toMatchObject({ status: "open" });
  });

  it("takes a team's tasks away from a member who leaves", async () => {
    await meetTeam(alice, bob);
    await h.bot.send(h.updates.groupText(team, alice, "/newtask For bob @bobby"));
    const id = await lastTaskId();
    await h.bot.send(h.updates.privateText(bob, "/tasks"));
    expect(lastText(bob.id)).toContain("For bob");
    await h.bot.send(h.updates.memberLeft(team, bob));
    await h.bot.send(h.updates.privateText(bob, "/tasks"));
    expect(lastText(bob.id)).not.toContain("For bob");
    await h.bot.send(h.updates.privateText(bob, `/done ${id}`));
    expect(lastText(bob.id)).toBe("No such task.");

    await h.bot.send(h.updates.memberJoined(team, bob));
    await h.bot.send(h.updates.privateText(bob, `/done ${id}`));
    expect(await task(id)).toMatchObject({ status: "done" });
  });

  it("forgets a member who leaves with a service message too", async () => {
    await meetTeam(alice, bob);
    await h.bot.send(h.updates.leftChatMessage(team, bob));
    const rows = await h.sql`select user_id from team_members where team_id = ${team.id}`;
    expect(rows.map((r) => r.userId)).toEqual([alice.id]);
  });

  it("answers stale or forged buttons without changing anything", async () => {
    await h.bot.send(
      h.updates.callback(alice, "t:s:abc:x", {
        chat: { id: alice.id, type: "private" },
        message_id: 1,
      }),
    );
    expect(toastText()).toBe("This button no longer works.");
  });
});

describe("joining a group", () => {
  it("introduces itself when added, and learns the members who were added with it", async () => {
    await h.bot.send(h.updates.membersAdded(team, alice, [TEST_BOT_INFO, bob]));
    const intro = lastText(team.id);
    expect(intro).toContain("Hi everyone! I'm Task Tracker.");
    expect(intro).toContain("/newtask");
    const members =
      await h.sql`select user_id from team_members where team_id = ${team.id} order by user_id`;
    expect(members.map((m) => m.userId)).toEqual([alice.id, bob.id]);
  });

  it("says nothing when someone else joins", async () => {
    await h.bot.send(h.updates.membersAdded(team, alice, [carol]));
    expect(h.telegram.textsTo(team.id)).toEqual([]);
  });
});

describe("timezones", () => {
  it("reads due phrases and shows due times in the user's timezone", async () => {
    await h.sql`insert into users (id, timezone) values (${alice.id}, 'Europe/Kyiv')`;
    await h.bot.send(h.updates.privateText(alice, "/newtask Call the bank tomorrow 09:00"));
    const [row] = await h.sql<{ dueAt: Date }[]>`select due_at from tasks`;
    expect(row?.dueAt.toISOString()).toBe("2026-11-29T07:00:00.000Z");
    expect(lastText(alice.id)).toContain("due tomorrow 09:00");
  });
});
