import type { Message, Update } from "grammy/types";
import { recordableText } from "#bot/privacy/record";
import type { TelegramProfile } from "#bot/teams/core";
import { isGroup, profileOf, stillInChat } from "#bot/teams/track";

/**
 * Group chatter: updates no feature answers, whose only work is learning who is where and
 * keeping consented messages. What it teaches, as plain facts for the batched ingest.
 */
export interface Chatter {
  updateId: number;
  team: { id: number; title: string };
  /** Who sent it (people only, never a bot). */
  sender: TelegramProfile | null;
  /** The sender wrote in the group, so they are a member (an edit or a member update is not). */
  senderActs: boolean;
  /** A new message: a form of its sender in this chat may be waiting for it (checked in bulk). */
  mayAnswerForm: boolean;
  /** People Telegram says joined, then left, the group. */
  joined: TelegramProfile[];
  left: number[];
  /** The message or edit to keep if its author consents. */
  message: ChatterMessageFacts | null;
}

export interface ChatterMessageFacts {
  messageId: number;
  authorId: number;
  text: string;
  date: number;
  replyToMessageId: number | null;
  editedAt: number | null;
}

const startsWithCommand = (message: Message) => {
  const text = message.text ?? message.caption;
  const entities = message.entities ?? message.caption_entities ?? [];
  return (
    text?.startsWith("/") === true ||
    entities.some((entity) => entity.type === "bot_command" && entity.offset === 0)
  );
};

const person = (user: { is_bot: boolean } | undefined) => user !== undefined && !user.is_bot;

function messageFacts(message: Message, edited: boolean): ChatterMessageFacts | null {
  const text = recordableText(message);
  if (text === undefined || !message.from) return null;
  return {
    messageId: message.message_id,
    authorId: message.from.id,
    text,
    date: message.date,
    replyToMessageId: message.reply_to_message?.message_id ?? null,
    editedAt: edited ? (message.edit_date ?? message.date) : null,
  };
}

/**
 * The update as chatter, or undefined when the per-update path must see it: anything private,
 * a command, a button, the bot itself joining (it greets), a group's move to a supergroup, a
 * change to the bot's own membership. A plain message may still turn out to answer a form:
 * the ingest checks that in bulk and hands such messages back.
 */
export function chatterOf(update: Update): Chatter | undefined {
  const edited = update.edited_message;
  if (edited && isGroup(edited.chat)) {
    return {
      updateId: update.update_id,
      team: { id: edited.chat.id, title: edited.chat.title },
      sender: person(edited.from) && edited.from ? profileOf(edited.from) : null,
      senderActs: false,
      mayAnswerForm: false,
      joined: [],
      left: [],
      message: messageFacts(edited, true),
    };
  }
  const member = update.chat_member;
  if (member && isGroup(member.chat)) {
    const user = member.new_chat_member.user;
    const stays = stillInChat(member.new_chat_member);
    return {
      updateId: update.update_id,
      team: { id: member.chat.id, title: member.chat.title },
      sender: person(member.from) ? profileOf(member.from) : null,
      senderActs: false,
      mayAnswerForm: false,
      joined: person(user) && stays ? [profileOf(user)] : [],
      left: person(user) && !stays ? [user.id] : [],
      message: null,
    };
  }
  const message = update.message;
  if (!message || !isGroup(message.chat)) return undefined;
  if (startsWithCommand(message)) return undefined;
  if (message.migrate_to_chat_id !== undefined || message.migrate_from_chat_id !== undefined) {
    return undefined;
  }
  const joined = message.new_chat_members ?? [];
  if (joined.some((user) => user.is_bot)) return undefined;
  const left = message.left_chat_member;
  return {
    updateId: update.update_id,
    team: { id: message.chat.id, title: message.chat.title },
    sender: person(message.from) && message.from ? profileOf(message.from) : null,
    senderActs: person(message.from),
    mayAnswerForm: person(message.from),
    joined: joined.map(profileOf),
    left: left && !left.is_bot ? [left.id] : [],
    message: messageFacts(message, false),
  };
}
