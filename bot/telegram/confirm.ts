import { InlineKeyboard } from "grammy";
import { plural } from "#bot/lib/text";
import type { Db } from "#db/client";
import { consumeConfirmation, createConfirmation } from "#db/confirmations";
import {
  type CallbackFamily,
  type ConfirmPress,
  eraseButton,
  purgeButton,
  shortenRetentionButton,
} from "./callback-data.ts";
import type { BotContext } from "./context.ts";

/**
 * One-time confirmations for destructive chat actions: a random token in the buttons, bound
 * to the person who asked and a deadline, used up by the first press (yes or cancel).
 */
export const CONFIRM_MINUTES = 5;

/** "The button works for 5 minutes.", for the offers' texts. */
export const CONFIRM_VALIDITY = `The button works for ${plural(CONFIRM_MINUTES, "minute")}.`;

export interface ConfirmationKind {
  /** Stored with the token, so one kind's token cannot confirm another kind. */
  action: string;
  buttons: CallbackFamily<ConfirmPress>;
  /** The command that starts over, named in the refusals. */
  command: string;
}

export const ERASE: ConfirmationKind = { action: "erase", buttons: eraseButton, command: "delete" };
export const SHORTEN_RETENTION: ConfirmationKind = {
  action: "retention",
  buttons: shortenRetentionButton,
  command: "retention",
};
export const PURGE: ConfirmationKind = { action: "purge", buttons: purgeButton, command: "purge" };

export type Refusal = "unknown" | "not_yours" | "expired";

/** What a person sees when their press does not count. */
export function refusalText(kind: ConfirmationKind, reason: Refusal): string {
  switch (reason) {
    case "unknown":
      return `This confirmation was already used. Send /${kind.command} to start again.`;
    case "not_yours":
      return "This button is not for you.";
    case "expired":
      return `This confirmation has expired (it is valid for ${plural(CONFIRM_MINUTES, "minute")}). Send /${kind.command} again.`;
  }
}

/** Stores a confirmation and returns its two buttons: `yes` and Cancel. */
export async function offerConfirmation(
  db: Db,
  kind: ConfirmationKind,
  offer: { userId: number; payload: Record<string, unknown>; now: Date; yes: string },
): Promise<InlineKeyboard> {
  const expiresAt = new Date(offer.now.getTime() + CONFIRM_MINUTES * 60 * 1000);
  const token = await createConfirmation(
    db,
    offer.userId,
    { action: kind.action, payload: offer.payload },
    expiresAt,
  );
  return new InlineKeyboard()
    .text(offer.yes, kind.buttons.encode({ answer: "yes", token }))
    .text("Cancel", kind.buttons.encode({ answer: "no", token }));
}

export type Redeemed =
  | { ok: true; answer: ConfirmPress["answer"]; payload: Record<string, unknown> }
  | { ok: false; reason: Refusal; text: string };

/** Uses up the pressed confirmation if it is this person's and still valid. */
export async function redeemConfirmation(
  db: Db,
  kind: ConfirmationKind,
  press: { data: string; userId: number; now: Date },
): Promise<Redeemed> {
  const pressed = kind.buttons.decode(press.data);
  const result = pressed
    ? await consumeConfirmation(db, pressed.token, press.userId, kind.action, press.now)
    : ({ ok: false, reason: "unknown" } as const);
  if (!result.ok)
    return { ok: false, reason: result.reason, text: refusalText(kind, result.reason) };
  return { ok: true, answer: pressed?.answer ?? "no", payload: result.payload };
}

/**
 * The callback edge of a confirmation: on a refusal it answers the press itself (and takes
 * the spent buttons away, unless they belong to someone else) and returns null.
 */
export async function takeConfirmation(
  ctx: BotContext,
  kind: ConfirmationKind,
): Promise<{ answer: ConfirmPress["answer"]; payload: Record<string, unknown> } | null> {
  const redeemed = await redeemConfirmation(ctx.db, kind, {
    data: ctx.callbackQuery?.data ?? "",
    userId: ctx.from?.id ?? 0,
    now: ctx.services.clock.now(),
  });
  if (redeemed.ok) return { answer: redeemed.answer, payload: redeemed.payload };
  if (redeemed.reason !== "not_yours") await ctx.editMessageReplyMarkup().catch(() => {});
  await ctx.answerCallbackQuery({ text: redeemed.text, show_alert: true });
  return null;
}
