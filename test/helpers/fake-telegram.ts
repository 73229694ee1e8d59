import type { UserFromGetMe } from "grammy/types";
import {
  type BotApiEmulator,
  botInfoFor,
  EMULATED_BOT_ID,
  startBotApiEmulator,
} from "#bot/sandbox/emulator/server";
import { TEST_EPOCH } from "./clock.ts";

/**
 * The tests' fake Bot API is the product's emulator (bot/sandbox/emulator), dated at the test
 * epoch unless a test passes its clock: one set of Telegram's rules for tests and the sandbox.
 */
export * from "#bot/sandbox/emulator/server";

export type FakeTelegram = BotApiEmulator;

export const TEST_BOT_TOKEN = "123456:TEST-token-for-the-fake-api";

export const TEST_BOT_INFO: UserFromGetMe = botInfoFor(EMULATED_BOT_ID, "task_tracker_test_bot");

export function startFakeTelegram(
  options: {
    botId?: number;
    botUsername?: string;
    /** Dates the messages the bot sends; the test epoch unless a test passes its clock. */
    now?: () => Date;
  } = {},
): Promise<FakeTelegram> {
  return startBotApiEmulator({ ...options, now: options.now ?? (() => new Date(TEST_EPOCH)) });
}
