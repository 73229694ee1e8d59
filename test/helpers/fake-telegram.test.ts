import { Bot, GrammyError, InputFile } from "grammy";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type FakeTelegram,
  startFakeTelegram,
  TEST_BOT_INFO,
  TEST_BOT_TOKEN,
} from "#test/helpers/fake-telegram";
import { alice, bob, makeUpdates, team } from "#test/helpers/updates";

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
    fake.failNext("sendMessage", {
      error_code: 429,
      description: "Too Many Requests: retry after 1",
      parameters: { retry_after: 1 },
    });

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
