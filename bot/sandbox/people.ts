import type { User } from "grammy/types";
import type { EmulatedChat } from "./emulator/server.ts";

/**
 * Who lives in the sandbox: three people and their team's group. The emulator, the reset, the
 * sandbox page and the demo data all take them from here, so they always agree.
 */

/** One of the sandbox's made-up people. */
export interface SandboxPerson {
  id: number;
  firstName: string;
  username: string;
}

/**
 * The made-up people of the sandbox; the first is the group's admin. Usernames follow
 * Telegram's rule (5-32 characters), which the one-line /newtask syntax relies on.
 */
export const SANDBOX_PEOPLE: readonly [SandboxPerson, SandboxPerson, SandboxPerson] = [
  { id: 101, firstName: "Alice", username: "alice" },
  { id: 102, firstName: "Bob", username: "bobby" },
  { id: 103, firstName: "Carol", username: "carol" },
];

/** The team's group: all three people and the bot (an admin) are in it. */
export const SANDBOX_GROUP = { id: -1001000000001, title: "Core team" } as const;

export const SANDBOX_BOT_USERNAME = "task_tracker_sandbox_bot";

export function personById(id: number): SandboxPerson | undefined {
  return SANDBOX_PEOPLE.find((person) => person.id === id);
}

/** A person sees the group and their own private chat with the bot (whose id is theirs). */
export function chatOf(person: SandboxPerson, chatId: number): EmulatedChat | undefined {
  if (chatId === SANDBOX_GROUP.id) return { ...SANDBOX_GROUP, type: "supergroup" };
  if (chatId !== person.id) return undefined;
  return {
    id: person.id,
    type: "private",
    first_name: person.firstName,
    username: person.username,
  };
}

export function telegramUser(person: SandboxPerson): User {
  return {
    id: person.id,
    is_bot: false,
    first_name: person.firstName,
    username: person.username,
    language_code: "en",
  };
}
