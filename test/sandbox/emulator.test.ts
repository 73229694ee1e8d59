import { Api, InputFile } from "grammy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BotApiEmulator,
  type ChatEvent,
  startBotApiEmulator,
} from "#bot/sandbox/emulator/server";
import { TEST_EPOCH } from "#test/helpers/clock";

const CHAT = 101;
const person = { id: CHAT, is_bot: false as const, first_name: "Alice", username: "alice" };
const chat = { id: CHAT, type: "private" as const, first_name: "Alice", username: "alice" };

describe("the Bot API emulator's chats", () => {
  let emulator: BotApiEmulator;
  let api: Api;
  beforeAll(async () => {
    emulator = await startBotApiEmulator({ now: () => new Date(TEST_EPOCH) });
    api = new Api("123456:TEST-token-for-the-emulator", { apiRoot: emulator.apiRoot });
  });
  afterAll(() => emulator?.close());

  it("keeps a person's and the bot's messages in order and reports each change", async () => {
    const events: ChatEvent[] = [];
    const stop = emulator.onChatEvent((event) => events.push(event));
    const { message: asked } = emulator.write({ chat, from: person, text: "/start" });
    const answer = await api.sendMessage(CHAT, "<b>Hi</b>", { parse_mode: "HTML" });
    await api.editMessageText(CHAT, answer.message_id, "<b>Hi</b> again", { parse_mode: "HTML" });
    await api.deleteMessage(CHAT, asked.message_id);
    stop();
    expect(events).toEqual([
      { kind: "message", chatId: CHAT, messageId: asked.message_id },
      { kind: "message", chatId: CHAT, messageId: answer.message_id },
      { kind: "edit", chatId: CHAT, messageId: answer.message_id },
      { kind: "delete", chatId: CHAT, messageId: asked.message_id },
    ]);
    const kept = emulator.chatMessages(CHAT);
    expect(kept.map((m) => [m.message.message_id, m.content?.text])).toEqual([
      [answer.message_id, "Hi again"],
    ]);
    expect(kept[0]?.content?.entities).toEqual([{ type: "bold", offset: 0, length: 2 }]);
  });

  it("delivers a person's message to getUpdates with the command's entity", async () => {
    emulator.write({ chat, from: person, text: "/newtask Ship it @bobby" });
    const updates = await api.getUpdates({ timeout: 0 });
    expect(updates.at(-1)?.message).toMatchObject({
      text: "/newtask Ship it @bobby",
      from: { id: CHAT },
      entities: [
        { type: "bot_command", offset: 0, length: 8 },
        { type: "mention", offset: 17, length: 6 },
      ],
    });
  });

  it("keeps an uploaded document for download under the file id it answers", async () => {
    const sent = await api.sendDocument(CHAT, new InputFile(Buffer.from('{"a":1}'), "export.json"));
    const fileId = sent.document.file_id;
    expect(emulator.file(fileId)).toEqual({
      fileName: "export.json",
      content: Buffer.from('{"a":1}'),
    });
  });

  it("opens a Mini App only from an https address, in the menu button and in inline buttons", async () => {
    await expect(
      api.setChatMenuButton({
        menu_button: { type: "web_app", text: "Tasks", web_app: { url: "http://127.0.0.1:3000/" } },
      }),
    ).rejects.toThrow(
      "Bad Request: menu button Web App URL 'http://127.0.0.1:3000/' is invalid: Only HTTPS links are allowed",
    );
    expect(emulator.menuButton(CHAT)).toEqual({ type: "default" });
    await expect(
      api.sendMessage(CHAT, "Open", {
        reply_markup: {
          inline_keyboard: [[{ text: "Open app", web_app: { url: "http://127.0.0.1:3000/" } }]],
        },
      }),
    ).rejects.toThrow(
      "Bad Request: inline keyboard button Web App URL 'http://127.0.0.1:3000/' is invalid: Only HTTPS links are allowed",
    );

    const app = {
      type: "web_app" as const,
      text: "Tasks",
      web_app: { url: "https://example.org/" },
    };
    await api.setChatMenuButton({ menu_button: app });
    expect(emulator.menuButton(CHAT)).toEqual({
      type: "web_app",
      text: "Tasks",
      url: "https://example.org/",
    });
    expect(await api.getChatMenuButton({ chat_id: CHAT })).toEqual(app);
    // A chat's own button comes before the default one.
    await api.setChatMenuButton({ chat_id: CHAT, menu_button: { type: "commands" } });
    expect(await api.getChatMenuButton({ chat_id: CHAT })).toEqual({ type: "commands" });
    expect(await api.getChatMenuButton({ chat_id: CHAT + 1 })).toEqual(app);
  });
});
