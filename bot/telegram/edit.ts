import { GrammyError } from "grammy";
import type { BotContext } from "./context.ts";

/**
 * Telegram refuses an edit that changes nothing with a 400. A double tap, or a button that
 * shows what is already shown, ends there: for us the message is as it should be.
 */
export function isNotModified(error: unknown): boolean {
  return error instanceof GrammyError && error.description.includes("message is not modified");
}

/** Edits the message the pressed button sits on; an unchanged message is not an error. */
export async function editPressedMessage(
  ctx: BotContext,
  ...args: Parameters<BotContext["editMessageText"]>
): Promise<void> {
  try {
    await ctx.editMessageText(...args);
  } catch (error) {
    if (!isNotModified(error)) throw error;
  }
}
