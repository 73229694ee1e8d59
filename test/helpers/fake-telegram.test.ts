import { Bot, GrammyError, InputFile } from "grammy";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type FakeTelegram,
  startFakeTelegram,
  TEST_BOT_INFO,
  TEST_BOT_TOKEN,
  tooManyRequests,
  visibleText,
} from "#test/helpers/fake-telegram";
import { alice, bob, makeUpdates, otherTeam, team } from "#test/helpers/updates";

let fake: FakeTelegram;
let bot: Bot;

beforeAll(async () => {
  fake = await startFakeTelegram();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.clear();
  bot = new Bot(TEST_BOT_TOKEN, { botInfo: TEST_BOT_INFO, client: { apiRoot: fake.apiRoot } });
});

async function grammyErrorOf(call: Promise<unknown>): Promise<GrammyError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof GrammyError)) throw new Error(`Expected a GrammyError, got ${error}`);
  return error;
}

describe("the fake Bot API", () => {
  it("answers sendMessage with a message numbered per chat from 1000 and records the call", async () => {
    const first = await bot.api.sendMessage(alice.id, "Hello", {
      reply_markup: { inline_keyboard: [[{ text: "Done", callback_data: "done:1" }]] },
    });
    const second = await bot.api.sendMessage(alice.id, "Again");
    const inTeam = await bot.api.sendMessage(team.id, "Team");

    expect(first).toMatchObject({
      message_id: 1000,
      chat: { id: alice.id, type: "private" },
      from: { id: TEST_BOT_INFO.id, is_bot: true },
      text: "Hello",
      reply_markup: { inline_keyboard: [[{ text: "Done", callback_data: "done:1" }]] },
    });
    expect(second.message_id).toBe(1001);
    expect(inTeam).toMatchObject({ message_id: 1000, chat: { id: team.id, type: "supergroup" } });
    expect(fake.callsOf("sendMessage")[0]).toMatchObject({
      method: "sendMessage",
      token: TEST_BOT_TOKEN,
      payload: { chat_id: alice.id, text: "Hello" },
    });
    expect(fake.textsTo(alice.id)).toEqual(["Hello", "Again"]);
  });

  it("edits a message the bot sent, dropping a keyboard the edit does not repeat", async () => {
    const sent = await bot.api.sendMessage(alice.id, "Draft", {
      reply_markup: { inline_keyboard: [[{ text: "Go", callback_data: "go" }]] },
    });
    const edited = await bot.api.editMessageText(alice.id, sent.message_id, "Final");

    expect(edited).toMatchObject({ message_id: sent.message_id, text: "Final" });
    expect(fake.lastMessageTo(alice.id)).not.toHaveProperty("reply_markup");
    expect(fake.textsTo(alice.id)).toEqual(["Draft", "Final"]);
  });

  it("fails the next matching call with the planned error and status, then recovers", async () => {
    fake.failNext("sendMessage", tooManyRequests(1));

    const error = await grammyErrorOf(bot.api.sendMessage(alice.id, "Hello"));
    expect(error.error_code).toBe(429);
    expect(error.parameters.retry_after).toBe(1);
    await expect(bot.api.sendMessage(alice.id, "Hello")).resolves.toMatchObject({
      message_id: 1000,
    });
    expect(fake.callsOf("sendMessage")).toHaveLength(2);
    expect(fake.sent()).toHaveLength(1);
  });

  it("fails only calls to the given chat, as many times as asked", async () => {
    fake.failNext(
      "sendMessage",
      { error_code: 400, description: "Bad Request: chat not found" },
      { chatId: bob.id, times: 2 },
    );

    await bot.api.sendMessage(alice.id, "Fine");
    expect((await grammyErrorOf(bot.api.sendMessage(bob.id, "1"))).error_code).toBe(400);
    expect((await grammyErrorOf(bot.api.sendMessage(bob.id, "2"))).error_code).toBe(400);
    await expect(bot.api.sendMessage(bob.id, "3")).resolves.toMatchObject({ text: "3" });
    expect(fake.textsTo(bob.id)).toEqual(["3"]);
  });

  it("answers 403 to every send to a chat that blocked the bot", async () => {
    fake.blockChat(bob.id);

    const error = await grammyErrorOf(bot.api.sendMessage(bob.id, "Hello"));
    expect(error.error_code).toBe(403);
    expect(error.description).toBe("Forbidden: bot was blocked by the user");
    const action = await grammyErrorOf(bot.api.sendChatAction(bob.id, "typing"));
    expect(action.error_code).toBe(403);
    expect(fake.textsTo(bob.id)).toEqual([]);
  });

  it("records an uploaded document with its file content", async () => {
    const csv = "title,due\nShip it,2026-12-01\n";
    const message = await bot.api.sendDocument(
      alice.id,
      new InputFile(Buffer.from(csv), "tasks.csv"),
      {
        caption: "Your export",
      },
    );

    expect(message).toMatchObject({
      message_id: 1000,
      caption: "Your export",
      document: { file_name: "tasks.csv", file_size: Buffer.byteLength(csv) },
    });
    expect(fake.callsOf("sendDocument")[0]?.payload).toEqual({
      chat_id: alice.id,
      caption: "Your export",
      document: { filename: "tasks.csv", size: Buffer.byteLength(csv), text: csv },
    });
    expect(fake.textsTo(alice.id)).toEqual(["Your export"]);
  });

  it("answers 404 to a method it does not know", async () => {
    const error = await grammyErrorOf(bot.api.getChat(alice.id));
    expect(error.error_code).toBe(404);
    expect(error.description).toBe("Not Found: method not found");
  });
});

describe("waitForCalls", () => {
  it("resolves as soon as a later call satisfies the predicate", async () => {
    const arrived = fake.waitForCalls((calls) => calls.some((c) => c.payload.text === "Later"));

    await bot.api.sendMessage(alice.id, "Sooner");
    await bot.api.sendMessage(alice.id, "Later");

    await expect(arrived).resolves.toBeUndefined();
  });

  it("rejects on timeout, listing the calls it saw", async () => {
    await bot.api.sendMessage(alice.id, "Only this");

    await expect(fake.waitForCalls((calls) => calls.length > 1, 50)).rejects.toThrow(
      /not met within 50 ms[\s\S]*sendMessage chat=1001 "Only this"/,
    );
  });
});

describe("holdAnswers", () => {
  it("carries out a matching call at once but answers it only when the gate opens", async () => {
    const gate = fake.holdAnswers((call) => call.payload.text === "Held");
    let answered = false;
    const held = bot.api.sendMessage(alice.id, "Held").then((message) => {
      answered = true;
      return message;
    });
    await fake.waitForCalls(() => gate.held().length === 1);

    // Telegram has it (the person sees it); the client does not know yet.
    expect(fake.textsTo(alice.id)).toEqual(["Held"]);
    const other = await bot.api.sendMessage(bob.id, "Not held");
    expect(other.text).toBe("Not held");
    expect(answered).toBe(false);

    gate.open();
    expect((await held).message_id).toBe(fake.lastMessageTo(alice.id).message_id);
    const after = await bot.api.sendMessage(alice.id, "Held");
    expect(after.message_id).toBe(1001);
    expect(gate.held()).toHaveLength(1);
  });
});
describe("long polling", () => {
  it("returns updates pushed before the poll", async () => {
    const update = makeUpdates().privateText(alice, "/start");
    fake.pushUpdate(update);

    await expect(bot.api.getUpdates({ offset: 0, timeout: 0 })).resolves.toEqual([update]);
    await expect(bot.api.getUpdates({ offset: update.update_id + 1, timeout: 0 })).resolves.toEqual(
      [],
    );
  });

  it("answers an open poll as soon as an update is pushed", async () => {
    const update = makeUpdates().privateText(alice, "hello");
    const poll = bot.api.getUpdates({ timeout: 30 });
    await fake.waitForCalls((calls) => calls.some((c) => c.method === "getUpdates"));

    fake.pushUpdate(update);

    await expect(poll).resolves.toEqual([update]);
  });

  it("ends an open poll when the fake closes", async () => {
    const own = await startFakeTelegram();
    const ownBot = new Bot(TEST_BOT_TOKEN, {
      botInfo: TEST_BOT_INFO,
      client: { apiRoot: own.apiRoot },
    });
    const poll = ownBot.api.getUpdates({ timeout: 30 });
    await own.waitForCalls((calls) => calls.some((c) => c.method === "getUpdates"));

    await own.close();

    await expect(poll).resolves.toEqual([]);
  });
});

describe("a bot fed by the update factory", () => {
  it("routes commands and callback queries the way Telegram would deliver them", async () => {
    const updates = makeUpdates({ now: () => new Date("2026-11-28T10:00:00Z") });
    bot.command("newtask", (ctx) => ctx.reply(`Task: ${ctx.match}`));
    bot.callbackQuery("done", async (ctx) => {
      await ctx.answerCallbackQuery({ text: "Marked done" });
      await ctx.editMessageText("Done ✓");
    });

    const command = updates.groupText(team, alice, "/newtask@task_tracker_test_bot Ship @bob");
    await bot.handleUpdate(command);
    await bot.handleUpdate(updates.callback(bob, "done", fake.lastMessageTo(team.id)));

    expect(updates.lastMessage(command)).toMatchObject({
      date: Date.parse("2026-11-28T10:00:00Z") / 1000,
      entities: [
        { type: "bot_command", offset: 0, length: 30 },
        { type: "mention", offset: 36, length: 4 },
      ],
    });
    expect(fake.textsTo(team.id)).toEqual(["Task: Ship @bob", "Done ✓"]);
    expect(fake.sent().map((c) => c.method)).toEqual([
      "sendMessage",
      "answerCallbackQuery",
      "editMessageText",
    ]);
  });
});

describe("Telegram's limits", () => {
  async function refusal(call: Promise<unknown>): Promise<string> {
    const error = await grammyErrorOf(call);
    expect(error.error_code).toBe(400);
    return error.description;
  }
  const html = { parse_mode: "HTML" } as const;

  it("takes 4,096 visible characters, counted in UTF-16 after parsing, and refuses one more", async () => {
    const tags = `<b>${"x".repeat(4000)}</b>${"&amp;".repeat(96)}`;
    await expect(bot.api.sendMessage(alice.id, tags, html)).resolves.toMatchObject({
      message_id: 1000,
    });
    // An emoji outside the BMP is two code units, as Telegram counts it.
    expect(await refusal(bot.api.sendMessage(alice.id, `${"x".repeat(4095)}😀`))).toBe(
      "Bad Request: message is too long",
    );
    expect(await refusal(bot.api.sendMessage(alice.id, "x".repeat(4097)))).toBe(
      "Bad Request: message is too long",
    );
    expect(fake.sent()).toHaveLength(1);
  });

  it("refuses an empty text, also one that is empty once tags are removed", async () => {
    expect(await refusal(bot.api.sendMessage(alice.id, ""))).toBe(
      "Bad Request: message text is empty",
    );
    expect(await refusal(bot.api.sendMessage(alice.id, "<b> </b>", html))).toBe(
      "Bad Request: message text is empty",
    );
  });

  it("accepts Telegram's HTML tag set and entities, and reports the visible text", async () => {
    const text = [
      "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s><strike>k</strike><del>d</del>",
      '<a href="https://example.com/?a=1&amp;b=2">link</a> <code>c</code> <pre><code class="language-ts">x</code></pre>',
      '<blockquote>q</blockquote><blockquote expandable>e</blockquote><tg-spoiler>h</tg-spoiler><span class="tg-spoiler">h</span>',
      '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji> &lt;&gt;&amp;&quot;&#39;&#x41; a > b',
    ].join("\n");
    await bot.api.sendMessage(alice.id, text, html);

    const call = fake.sent()[0];
    expect(call && visibleText(call)).toBe("bsieunskd\nlink c x\nqehh\n👍 <>&\"'A a > b");
  });

  it("turns <tg-time> into a date_time entity each reader's app shows in their own zone", async () => {
    await bot.api.sendMessage(
      alice.id,
      'due <tg-time unix="1796205600" format="wdt">Wed 10:00 (UTC)</tg-time>, <tg-time unix="1">x</tg-time>',
      html,
    );
    const [shown] = fake.chatMessages(alice.id).slice(-1);
    expect(shown?.content).toEqual({
      text: "due Wed 10:00 (UTC), x",
      entities: [
        {
          type: "date_time",
          offset: 4,
          length: 15,
          unix_time: 1796205600,
          date_time_format: "wdt",
        },
        { type: "date_time", offset: 21, length: 1, unix_time: 1, date_time_format: "" },
      ],
    });
  });

  it.each([
    ["an unknown tag", "line<br>next", 'Unsupported start tag "br" at byte offset 4'],
    [
      "a tg-time without a Unix time",
      '<tg-time format="t">9:00</tg-time>',
      'Tag "tg-time" must have a valid "unix" attribute at byte offset 0',
    ],
    [
      "a tg-time with a format Telegram does not know",
      '<tg-time unix="1796205600" format="tw">9:00</tg-time>',
      'Tag "tg-time" has an invalid "format" attribute at byte offset 0',
    ],
    ["an unclosed tag", "<b>bold", 'Can\'t find end tag corresponding to start tag "b"'],
    [
      "mis-nested tags",
      "<b><i>x</b></i>",
      'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"',
    ],
    ["an end tag with no start", "x</b>", "Unexpected end tag at byte offset 1"],
    ["a bare <", "1 < 2 > 0", 'Unsupported start tag "" at byte offset 2'],
    ["a < that never closes", "a <b", "Unclosed start tag at byte offset 2"],
    ["a bare &", "Tom & Jerry", "Character '&' at byte offset 4 must be escaped"],
    ["an unknown named entity", "&nbsp;", "Character '&' at byte offset 0 must be escaped"],
    [
      "a span that is no spoiler",
      '<span class="x">y</span>',
      'Tag "span" must have class "tg-spoiler"',
    ],
  ])("refuses %s with Telegram's can't parse entities", async (_, text, reason) => {
    const description = await refusal(bot.api.sendMessage(alice.id, text, html));
    expect(description).toContain(`Bad Request: can't parse entities: ${reason}`);
  });

  it("refuses a text cut inside an emoji: half a surrogate pair is not UTF-8", async () => {
    const cut = "Launch 🚀".slice(0, -1);
    expect(await refusal(bot.api.sendMessage(alice.id, cut))).toBe(
      "Bad Request: text must be encoded in UTF-8",
    );
    expect(await refusal(bot.api.sendMessage(alice.id, `<b>${cut}</b>`, html))).toBe(
      "Bad Request: text must be encoded in UTF-8",
    );
  });

  it("does not parse a text sent without parse_mode", async () => {
    await expect(bot.api.sendMessage(alice.id, "1 < 2 & <br>")).resolves.toMatchObject({
      text: "1 < 2 & <br>",
    });
  });

  it("refuses a caption over 1,024 characters", async () => {
    const file = () => new InputFile(Buffer.from("{}"), "export.json");
    await expect(
      bot.api.sendDocument(alice.id, file(), { caption: "y".repeat(1024) }),
    ).resolves.toMatchObject({ caption: "y".repeat(1024) });
    expect(
      await refusal(bot.api.sendDocument(alice.id, file(), { caption: "y".repeat(1025) })),
    ).toBe("Bad Request: message caption is too long");
  });

  it("refuses a callback answer over 200 characters", async () => {
    await expect(bot.api.answerCallbackQuery("q1", { text: "z".repeat(200) })).resolves.toBe(true);
    expect(await refusal(bot.api.answerCallbackQuery("q2", { text: "z".repeat(201) }))).toBe(
      "Bad Request: MESSAGE_TOO_LONG",
    );
  });

  it("takes callback data of 1 to 64 bytes of UTF-8", async () => {
    const withData = (data: string) =>
      bot.api.sendMessage(alice.id, "Pick", {
        reply_markup: { inline_keyboard: [[{ text: "Go", callback_data: data }]] },
      });
    await expect(withData("d".repeat(64))).resolves.toMatchObject({ message_id: 1000 });
    // 33 two-byte letters: 33 characters, 66 bytes.
    expect(await refusal(withData("é".repeat(33)))).toBe("Bad Request: BUTTON_DATA_INVALID");
    expect(await refusal(withData(""))).toBe("Bad Request: BUTTON_DATA_INVALID");
  });

  it("refuses a keyboard that is not rows of buttons with one action each", async () => {
    const send = (inline_keyboard: unknown) =>
      bot.api.sendMessage(alice.id, "Pick", {
        reply_markup: { inline_keyboard } as never,
      });
    expect(await refusal(send([{ text: "Flat", callback_data: "x" }]))).toContain(
      "should be an Array of Arrays",
    );
    expect(await refusal(send([[{ text: "No action" }]]))).toContain(
      "Text buttons are unallowed in the inline keyboard",
    );
    expect(
      await refusal(send([[{ text: "Two", callback_data: "x", url: "https://example.com" }]])),
    ).toContain("can't parse inline keyboard button");
    expect(await refusal(send([[{ text: "", callback_data: "x" }]]))).toContain(
      'Field "text" must be of type String',
    );
    expect(fake.sent()).toHaveLength(0);
  });

  it("refuses a Mini App button outside a private chat", async () => {
    const markup = {
      reply_markup: { inline_keyboard: [[{ text: "Open", web_app: { url: "https://x.test" } }]] },
    };
    await expect(bot.api.sendMessage(alice.id, "Open", markup)).resolves.toBeDefined();
    expect(await refusal(bot.api.sendMessage(team.id, "Open", markup))).toBe(
      "Bad Request: BUTTON_TYPE_INVALID",
    );
  });

  it("refuses an edit that changes nothing, comparing what Telegram shows", async () => {
    const keyboard = { inline_keyboard: [[{ text: "Go", callback_data: "go" }]] };
    const sent = await bot.api.sendMessage(alice.id, "<b>A &amp; B</b>", {
      ...html,
      reply_markup: keyboard,
    });
    const notModified =
      "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";

    expect(
      await refusal(
        bot.api.editMessageText(alice.id, sent.message_id, "<strong>A &#38; B</strong>", {
          ...html,
          reply_markup: keyboard,
        }),
      ),
    ).toBe(notModified);
    expect(
      await refusal(
        bot.api.editMessageReplyMarkup(alice.id, sent.message_id, { reply_markup: keyboard }),
      ),
    ).toBe(notModified);
    // Dropping the keyboard is a change; the same text in italics is one too.
    await expect(
      bot.api.editMessageText(alice.id, sent.message_id, "<b>A &amp; B</b>", html),
    ).resolves.toMatchObject({ message_id: sent.message_id });
    await expect(
      bot.api.editMessageText(alice.id, sent.message_id, "<i>A &amp; B</i>", html),
    ).resolves.toMatchObject({ message_id: sent.message_id });
  });

  it("refuses to edit a message it never sent", async () => {
    await bot.api.sendMessage(alice.id, "Mine");
    expect(await refusal(bot.api.editMessageText(alice.id, 4242, "Edited"))).toBe(
      "Bad Request: message to edit not found",
    );
    expect(await refusal(bot.api.editMessageText(bob.id, 1000, "Edited"))).toBe(
      "Bad Request: message to edit not found",
    );
  });

  it("answers getChatMember per chat and user as the test set it, member by default", async () => {
    fake.setChatMember(team.id, alice.id, "creator");
    fake.setChatMember(team.id, bob.id, "administrator");
    fake.setChatMember(otherTeam.id, bob.id, "kicked");

    const status = async (chatId: number, userId: number) =>
      (await bot.api.getChatMember(chatId, userId)).status;
    expect(await status(team.id, alice.id)).toBe("creator");
    expect(await status(team.id, bob.id)).toBe("administrator");
    expect(await status(otherTeam.id, bob.id)).toBe("kicked");
    expect(await status(otherTeam.id, alice.id)).toBe("member");
    fake.setChatMember(team.id, bob.id, "left");
    expect(await status(team.id, bob.id)).toBe("left");
    expect(await bot.api.getChatMember(team.id, bob.id)).toMatchObject({ user: { id: bob.id } });
  });
});
