import type { Update } from "grammy/types";
import type { BotMessage, FakeTelegram } from "./fake-telegram.ts";
import type { makeUpdates, TestUser } from "./updates.ts";

export interface Button {
  text: string;
  data: string;
}

/** The inline buttons of a message the bot sent, in reading order. */
export function buttonsOf(message: BotMessage): Button[] {
  const markup = message.reply_markup as
    | { inline_keyboard?: Array<Array<{ text: string; callback_data?: string; url?: string }>> }
    | undefined;
  return (markup?.inline_keyboard ?? [])
    .flat()
    .map((b) => ({ text: b.text, data: b.callback_data ?? b.url ?? "" }));
}

/**
 * The callback update of `user` pressing the button labelled `label` (a substring) on the
 * latest message the bot sent to `chatId`. Throws, listing the buttons, when there is none.
 */
export function pressOn(
  telegram: FakeTelegram,
  updates: ReturnType<typeof makeUpdates>,
  user: TestUser,
  chatId: number,
  label: string,
): Update {
  const message = telegram.lastMessageTo(chatId);
  const buttons = buttonsOf(message);
  const button = buttons.find((b) => b.text.includes(label));
  if (!button) {
    throw new Error(
      `No button "${label}" on the last message to ${chatId}: ${JSON.stringify(buttons.map((b) => b.text))}`,
    );
  }
  return updates.callback(user, button.data, {
    chat: message.chat,
    message_id: message.message_id,
    ...(message.text === undefined ? {} : { text: message.text }),
    reply_markup: message.reply_markup,
  });
}
