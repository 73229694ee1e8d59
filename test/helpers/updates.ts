import type {
  Chat,
  ChatMember,
  Message,
  MessageEntity,
  Update,
  User,
  UserFromGetMe,
} from "grammy/types";
import { TEST_EPOCH } from "./clock.ts";
import { TEST_BOT_INFO } from "./fake-telegram.ts";

/**
 * Real Telegram `Update` objects for tests, shaped like what the Bot API delivers, so the
 * bot's filters (`message:text`, `chat_member`, commands) see exactly what production sees.
 */

export interface TestUser {
  id: number;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

export interface TestChat {
  id: number;
  title: string;
  type?: "group" | "supergroup";
}

export const alice: TestUser = {
  id: 1001,
  first_name: "Alice",
  username: "alice",
  language_code: "en",
};
export const bob: TestUser = {
  id: 1002,
  first_name: "Bob",
  username: "bobby",
  language_code: "en",
};
export const carol: TestUser = {
  id: 1003,
  first_name: "Carol",
  username: "carol",
  language_code: "de",
};

export const team: TestChat = { id: -1001234567890, title: "Core team", type: "supergroup" };
export const otherTeam: TestChat = { id: -1009876543210, title: "Other team", type: "supergroup" };

type NonChannelChat = Exclude<Chat, Chat.ChannelChat>;
type IncomingMessage = Message & Update.NonChannel;

/**
 * `now` dates every update; pass the bot's clock so messages are as old as the bot believes.
 * Without one, updates are dated at the test epoch, never at the real date.
 */
export function makeUpdates(options: { now?: () => Date; bot?: UserFromGetMe } = {}) {
  const now = options.now ?? (() => new Date(TEST_EPOCH));
  const bot = options.bot ?? TEST_BOT_INFO;
  let updateId = 0;
  let messageId = 0;
  let callbackId = 0;

  const nextUpdateId = () => ++updateId;
  const nextMessageId = () => ++messageId;
  const unixNow = () => Math.floor(now().getTime() / 1000);

  function textMessage(chat: NonChannelChat, user: TestUser, text: string): IncomingMessage {
    const entities = entitiesOf(text);
    return {
      message_id: nextMessageId(),
      date: unixNow(),
      chat,
      from: toUser(user),
      text,
      ...(entities.length > 0 ? { entities } : {}),
    };
  }

  function memberUpdate(
    chat: TestChat,
    user: TestUser,
    from: ChatMember["status"],
    to: ChatMember["status"],
  ): Update {
    const member = (status: ChatMember["status"]): ChatMember =>
      status === "left" ? { status, user: toUser(user) } : { status: "member", user: toUser(user) };
    return {
      update_id: nextUpdateId(),
      chat_member: {
        chat: groupChat(chat),
        from: toUser(user),
        date: unixNow(),
        old_chat_member: member(from),
        new_chat_member: member(to),
      },
    };
  }

  /** A service message in a group, `from` the member who caused it. */
  function serviceMessage(chat: TestChat, from: TestUser, fields: Partial<Message>): Update {
    return {
      update_id: nextUpdateId(),
      message: {
        message_id: nextMessageId(),
        date: unixNow(),
        chat: groupChat(chat),
        from: toUser(from),
        ...fields,
      } as IncomingMessage,
    };
  }

  return {
    privateText(user: TestUser, text: string): Update {
      return { update_id: nextUpdateId(), message: textMessage(privateChat(user), user, text) };
    },

    groupText(
      chat: TestChat,
      user: TestUser,
      text: string,
      options: { replyTo?: Message } = {},
    ): Update {
      const message = textMessage(groupChat(chat), user, text);
      if (options.replyTo) {
        // Telegram never nests replies: the replied-to message carries no reply of its own.
        const { reply_to_message: _nested, ...replied } = options.replyTo;
        message.reply_to_message = { ...replied, reply_to_message: undefined };
      }
      return { update_id: nextUpdateId(), message };
    },

    callback(
      user: TestUser,
      data: string,
      message: {
        chat: { id: number; type: string };
        message_id: number;
        date?: number;
        text?: string;
        reply_markup?: unknown;
      },
    ): Update {
      const chat = callbackChat(message.chat, user);
      return {
        update_id: nextUpdateId(),
        callback_query: {
          id: `cbq-${++callbackId}`,
          from: toUser(user),
          chat_instance: `instance${chat.id}`,
          message: {
            message_id: message.message_id,
            date: message.date ?? unixNow(),
            chat,
            from: bot,
            ...(typeof message.text === "string" ? { text: message.text } : {}),
            ...inlineKeyboardOf(message.reply_markup),
          },
          data,
        },
      };
    },

    memberLeft(chat: TestChat, user: TestUser): Update {
      return memberUpdate(chat, user, "member", "left");
    },

    memberJoined(chat: TestChat, user: TestUser): Update {
      return memberUpdate(chat, user, "left", "member");
    },

    /** my_chat_member: `by` removed the bot from the group ("left", "kicked") or added it back. */
    botMembership(
      chat: TestChat,
      by: TestUser,
      to: "member" | "administrator" | "left" | "kicked",
    ): Update {
      const user = {
        id: bot.id,
        is_bot: true as const,
        first_name: bot.first_name,
        ...(bot.username ? { username: bot.username } : {}),
      };
      const from: ChatMember =
        to === "left" || to === "kicked" ? { status: "member", user } : { status: "left", user };
      const member: ChatMember =
        to === "kicked"
          ? { status: "kicked", user, until_date: 0 }
          : to === "administrator"
            ? ({ status: "administrator", user, can_be_edited: false } as ChatMember)
            : { status: to, user };
      return {
        update_id: nextUpdateId(),
        my_chat_member: {
          chat: groupChat(chat),
          from: toUser(by),
          date: unixNow(),
          old_chat_member: from,
          new_chat_member: member,
        },
      };
    },

    leftChatMessage(chat: TestChat, user: TestUser): Update {
      return serviceMessage(chat, user, { left_chat_member: toUser(user) });
    },

    /** A service message: `by` added `added` (users, or the bot itself) to the group. */
    membersAdded(chat: TestChat, by: TestUser, added: Array<TestUser | UserFromGetMe>): Update {
      return serviceMessage(chat, by, {
        new_chat_members: added.map((user) =>
          "is_bot" in user
            ? { id: user.id, is_bot: true, first_name: user.first_name, username: user.username }
            : toUser(user),
        ),
      });
    },

    editedGroupText(chat: TestChat, user: TestUser, messageId: number, text: string): Update {
      const entities = entitiesOf(text);
      return {
        update_id: nextUpdateId(),
        edited_message: {
          message_id: messageId,
          date: unixNow(),
          edit_date: unixNow(),
          chat: groupChat(chat),
          from: toUser(user),
          text,
          ...(entities.length > 0 ? { entities } : {}),
        },
      };
    },

    lastMessage(update: Update): Message {
      if (!update.message) throw new Error(`Update ${update.update_id} carries no message.`);
      return update.message;
    },
  };
}

function toUser(user: TestUser): User {
  return {
    id: user.id,
    is_bot: false,
    first_name: user.first_name,
    ...(user.last_name === undefined ? {} : { last_name: user.last_name }),
    ...(user.username === undefined ? {} : { username: user.username }),
    ...(user.language_code === undefined ? {} : { language_code: user.language_code }),
  };
}

function privateChat(user: TestUser): Chat.PrivateChat {
  return {
    id: user.id,
    type: "private",
    first_name: user.first_name,
    ...(user.last_name === undefined ? {} : { last_name: user.last_name }),
    ...(user.username === undefined ? {} : { username: user.username }),
  };
}

function groupChat(chat: TestChat): Chat.GroupChat | Chat.SupergroupChat {
  return chat.type === "group"
    ? { id: chat.id, type: "group", title: chat.title }
    : { id: chat.id, type: "supergroup", title: chat.title };
}

function callbackChat(chat: { id: number; type: string }, user: TestUser): NonChannelChat {
  if (chat.type === "private") return { ...privateChat(user), id: chat.id };
  const known = [team, otherTeam].find((t) => t.id === chat.id);
  const title = known?.title ?? "Group";
  return chat.type === "group"
    ? { id: chat.id, type: "group", title }
    : { id: chat.id, type: "supergroup", title };
}

function inlineKeyboardOf(markup: unknown): Pick<Message, "reply_markup"> {
  if (typeof markup !== "object" || markup === null || !("inline_keyboard" in markup)) return {};
  if (!Array.isArray(markup.inline_keyboard)) return {};
  return { reply_markup: { inline_keyboard: markup.inline_keyboard } };
}

/**
 * Entities as Telegram computes them: offsets and lengths in UTF-16 code units, which is what
 * JavaScript string indices already are.
 */
export function entitiesOf(text: string): MessageEntity[] {
  const entities: MessageEntity[] = [];
  const command = /^\/\S+/.exec(text);
  if (command) entities.push({ type: "bot_command", offset: 0, length: command[0].length });
  const commandEnd = command?.[0].length ?? 0;
  for (const mention of text.matchAll(/(?<![\w@])@[A-Za-z0-9_]+/g)) {
    if (mention.index < commandEnd) continue;
    entities.push({ type: "mention", offset: mention.index, length: mention[0].length });
  }
  return entities;
}
