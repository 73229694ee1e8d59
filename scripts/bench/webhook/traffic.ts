import type { MessageEntity, Update, User } from "grammy/types";
import { TEST_BOT_INFO } from "#test/helpers/fake-telegram";
import { mulberry32, pick } from "./random.ts";
import type { Seed } from "./seed.ts";

/** Shares of the updates: group text, /tasks, Done/Reopen button presses. */
export interface Mix {
  text: number;
  tasks: number;
  button: number;
}

/** The realistic mix of a group bot. */
export const MIX: Mix = { text: 0.4, tasks: 0.3, button: 0.3 };
/** Only group chatter: what batched ingest is for. */
export const CHATTER_ONLY: Mix = { text: 1, tasks: 0, button: 0 };

export interface Traffic {
  /** The next update, as the JSON body Telegram would post. */
  next(): string;
  /** Updates built so far, by kind (autocannon builds each one just before sending it). */
  built: { text: number; tasks: number; button: number };
}

const GROUP_TEXTS = [
  "morning! standup in 5",
  "I pushed the fix, can someone review?",
  "who has the keys to the staging box?",
  "lunch?",
  "the deploy is green",
];

/** A member of a team writes, asks for /tasks, or taps Done/Reopen on one of its task cards. */
export function createTraffic(seed: Seed, firstUpdateId: number, mix: Mix = MIX): Traffic {
  const random = mulberry32(7);
  const lastTapped = new Map<number, "d" | "o">();
  const built = { text: 0, tasks: 0, button: 0 };
  let updateId = firstUpdateId;
  let messageId = 1;

  function next(): string {
    const user = pick(seed.users, random);
    const chat = pick(user.chats, random);
    const from: User = {
      id: user.id,
      is_bot: false,
      first_name: user.firstName,
      username: user.username,
      language_code: "en",
    };
    const groupChat = { id: chat.id, type: "supergroup" as const, title: chat.title };
    const date = Math.floor(Date.now() / 1000);
    const roll = random();
    let update: Update;
    const groupMessage = (text: string, entities?: MessageEntity[]): Update => ({
      update_id: ++updateId,
      message: {
        message_id: ++messageId,
        date,
        chat: groupChat,
        from,
        text,
        ...(entities ? { entities } : {}),
      },
    });
    if (roll < mix.text) {
      built.text++;
      update = groupMessage(pick(GROUP_TEXTS, random));
    } else if (roll < mix.text + mix.tasks) {
      built.tasks++;
      update = groupMessage("/tasks", [{ type: "bot_command", offset: 0, length: 6 }]);
    } else {
      built.button++;
      const taskId = pick(chat.taskIds, random);
      // Alternate so tasks keep toggling instead of answering "already done".
      const code = lastTapped.get(taskId) === "d" ? "o" : "d";
      lastTapped.set(taskId, code);
      update = {
        update_id: ++updateId,
        callback_query: {
          id: `bench-${updateId}`,
          from,
          chat_instance: `bench${-chat.id}`,
          message: {
            message_id: chat.cardOf.get(taskId) ?? 1,
            date,
            chat: groupChat,
            from: TEST_BOT_INFO,
            text: `Task #${taskId}`,
          },
          data: `t:s:${taskId}:${code}`,
        },
      };
    }
    return JSON.stringify(update);
  }
  return { next, built };
}
