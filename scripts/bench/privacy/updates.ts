import type { Update, User } from "grammy/types";
import { TEST_BOT_INFO } from "#test/helpers/fake-telegram";
import { mulberry32, pick } from "../webhook/random.ts";
import type { Person, Seed } from "./seed.ts";

/**
 * Updates as Telegram would post them. Every update of the run gets a new update_id (the
 * service drops ids it has seen, across phases) and every message a new message_id.
 */

let lastUpdateId = 0;
let lastMessageId = 0;

/** `from` exactly as seeded: a different profile would make the service rewrite the user. */
function sender(person: Person): User {
  return {
    id: person.id,
    is_bot: false,
    first_name: person.firstName,
    username: person.username,
    language_code: "en",
  };
}

export function privateCommand(person: Person, command: string): Update {
  return {
    update_id: ++lastUpdateId,
    message: {
      message_id: ++lastMessageId,
      date: Math.floor(Date.now() / 1000),
      chat: {
        id: person.id,
        type: "private",
        first_name: person.firstName,
        username: person.username,
      },
      from: sender(person),
      text: command,
      entities: [{ type: "bot_command", offset: 0, length: command.length }],
    },
  };
}

/** A press on an inline button under a message the bot sent to the person in private. */
export function privateButtonPress(person: Person, messageId: number, data: string): Update {
  return {
    update_id: ++lastUpdateId,
    callback_query: {
      id: `bench-${lastUpdateId}`,
      from: sender(person),
      chat_instance: `bench-private-${person.id}`,
      message: {
        message_id: messageId,
        date: Math.floor(Date.now() / 1000),
        chat: {
          id: person.id,
          type: "private",
          first_name: person.firstName,
          username: person.username,
        },
        from: TEST_BOT_INFO,
        text: "Delete your data?",
      },
      data,
    },
  };
}

/**
 * A stream of group messages: each call, a member of a team writes in one of their chats,
 * at random, or with `everyMembershipFirst` first once in every chat of every member.
 */
export function groupTraffic(
  seed: Seed,
  text: (random: () => number) => string,
  options: { everyMembershipFirst?: boolean } = {},
): () => Update {
  const random = mulberry32(11);
  const pairs = options.everyMembershipFirst
    ? seed.members.flatMap((person) => person.chats.map((chat) => ({ person, chat })))
    : [];
  return () => {
    const pair = pairs.pop();
    const person = pair?.person ?? pick(seed.members, random);
    const chat = pair?.chat ?? pick(person.chats, random);
    const body = text(random);
    return {
      update_id: ++lastUpdateId,
      message: {
        message_id: ++lastMessageId,
        date: Math.floor(Date.now() / 1000),
        chat: { id: chat.id, type: "supergroup", title: chat.title },
        from: sender(person),
        text: body,
        ...(body.startsWith("/")
          ? { entities: [{ type: "bot_command" as const, offset: 0, length: body.length }] }
          : {}),
      },
    };
  };
}

const WORDS = [
  "deploy",
  "review",
  "staging",
  "customer",
  "invoice",
  "meeting",
  "tomorrow",
  "the",
  "fix",
  "release",
  "notes",
  "please",
  "check",
  "before",
  "lunch",
  "dashboard",
  "migration",
  "ticket",
  "and",
  "ready",
];

/** A chat message of 100-200 characters: what people write, and what the vault seals. */
export function chatText(random: () => number): string {
  const length = 100 + Math.floor(random() * 101);
  let text = pick(WORDS, random);
  while (text.length < length) text += ` ${pick(WORDS, random)}`;
  return text.slice(0, length);
}
