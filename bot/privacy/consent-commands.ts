import { Composer, InlineKeyboard } from "grammy";
import { escapeHtml } from "#bot/lib/html";
import { formatDay } from "#bot/lib/moments";
import { plural } from "#bot/lib/text";
import { type ConsentOp, consentButton } from "#bot/telegram/callback-data";
import type { BotContext } from "#bot/telegram/context";
import { privacyOp, redirectToPrivateChat } from "./chat.ts";
import {
  type ConsentState,
  consent,
  consentStatus,
  deleteStoredMessages,
  markConsentAsked,
  needsAsking,
} from "./core/consent.ts";
import { PRIVACY_POLICY_VERSION } from "./policy.ts";

/** A consent button is valid for a day, for the user it was shown to, for one notice version. */
const BUTTON_TTL_SECONDS = 24 * 60 * 60;

function button(ctx: BotContext, op: ConsentOp, userId: number): string {
  return consentButton.encode({
    op,
    userId,
    policyVersion: PRIVACY_POLICY_VERSION,
    issuedAt: ctx.services.clock.now().getTime(),
  });
}

const SUMMARY =
  "In groups where I am a member I can keep your messages, encrypted, so your team can turn any of them into a task later and tasks keep their context. I record nothing until you agree, and you can withdraw at any time with /consent. A teammate can still make a task of one of your messages with /task; /privacy says what happens to such a copy.";

function stateLine(state: ConsentState, timeZone: string): string {
  switch (state.kind) {
    case "never":
      return "You have not decided yet: I do not record your messages.";
    case "given":
      return state.current
        ? `✅ Given on ${formatDay(state.at, timeZone)} (privacy notice version ${state.policyVersion}). I record your messages in groups.`
        : `⚠️ You agreed to version ${state.policyVersion} of the privacy notice on ${formatDay(state.at, timeZone)}; it is now version ${PRIVACY_POLICY_VERSION}. I do not record your messages until you agree again.`;
    case "withdrawn":
      return `🚫 Withdrawn on ${formatDay(state.at, timeZone)} (privacy notice version ${state.policyVersion}). I do not record your messages.`;
  }
}

/** The /consent screen: the state and the buttons that change it. */
function consentScreen(ctx: BotContext, state: ConsentState, userId: number, extra?: string) {
  const keyboard = new InlineKeyboard();
  if (state.kind === "given" && state.current) {
    keyboard.text("Withdraw consent", button(ctx, "withdraw", userId));
  } else {
    keyboard.text("✅ Record my messages", button(ctx, "give", userId));
    if (state.kind !== "withdrawn") keyboard.text("No, thanks", button(ctx, "withdraw", userId));
  }
  const text = [
    "<b>Recording your group messages</b>",
    escapeHtml(stateLine(state, ctx.viewer.timeZone)),
    "",
    escapeHtml(SUMMARY),
    ...(extra ? ["", extra] : []),
  ].join("\n");
  return { text, options: { parse_mode: "HTML" as const, reply_markup: keyboard } };
}

/** Sends the question itself: first /start, or a new version of the notice. */
export async function askForConsent(ctx: BotContext, userId: number): Promise<void> {
  const op = privacyOp(ctx, { id: userId });
  const { state } = await consentStatus(op);
  const intro =
    state.kind === "given"
      ? `Our privacy notice has changed (now version ${PRIVACY_POLICY_VERSION}). Please look at /privacy and choose again.`
      : "One question before we start.";
  const screen = consentScreen(ctx, state, userId);
  await ctx.reply(`${escapeHtml(intro)}\n\n${screen.text}`, screen.options);
  ctx.viewer.consentPromptedVersion = await markConsentAsked(op);
}

export async function showConsent(ctx: BotContext, userId: number): Promise<void> {
  const { state } = await consentStatus(privacyOp(ctx, { id: userId }));
  const screen = consentScreen(ctx, state, userId);
  await ctx.reply(screen.text, screen.options);
}

/**
 * Asks once per new notice version, after whatever the person came for is answered. It
 * wraps every feature, so it goes before them.
 */
export function askAgainOnNewNotice(): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.chatType("private").on("message", async (ctx, next) => {
    await next();
    const asksItself = ctx.hasCommand(["start", "consent"]);
    if (!asksItself && needsAsking(ctx.viewer)) await askForConsent(ctx, ctx.from.id);
  });
  return composer;
}

/** /consent and the consent buttons. */
export function consentFeature(): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const privateChat = composer.chatType("private");

  privateChat.command("consent", (ctx) => showConsent(ctx, ctx.from.id));
  composer
    .chatType(["group", "supergroup"])
    .command("consent", (ctx) => redirectToPrivateChat(ctx, "consent"));

  composer.callbackQuery(consentButton.match, async (ctx) => {
    const press = consentButton.decode(ctx.callbackQuery.data);
    if (!press) return ctx.answerCallbackQuery();
    if (press.userId !== ctx.from.id) {
      return ctx.answerCallbackQuery({ text: "This button is not for you.", show_alert: true });
    }
    const now = ctx.services.clock.now();
    const userId = ctx.from.id;
    const stale =
      press.policyVersion !== PRIVACY_POLICY_VERSION ||
      now.getTime() - press.issuedAt > BUTTON_TTL_SECONDS * 1000;
    const op = privacyOp(ctx);
    if (stale) {
      const { state } = await consentStatus(op);
      const screen = consentScreen(ctx, state, userId);
      await ctx.editMessageText(screen.text, screen.options);
      return ctx.answerCallbackQuery({
        text: "That button has expired. Here is your current choice.",
        show_alert: true,
      });
    }
    switch (press.op) {
      case "give": {
        const { record, state, changed } = await consent(op, ctx.services, {
          granted: true,
          source: "bot",
        });
        ctx.viewer.consentVersion = record.policyVersion;
        ctx.viewer.consentPromptedVersion = record.policyVersion;
        const screen = consentScreen(ctx, state, userId);
        await ctx.editMessageText(screen.text, screen.options);
        return ctx.answerCallbackQuery({
          text: changed ? "Thank you: consent given." : "Already done: consent is given.",
        });
      }
      case "withdraw": {
        const {
          state,
          changed,
          storedMessages: stored,
        } = await consent(op, ctx.services, { granted: false, source: "bot" });
        ctx.viewer.consentVersion = null;
        ctx.viewer.consentPromptedVersion = PRIVACY_POLICY_VERSION;
        const screen = consentScreen(
          ctx,
          state,
          userId,
          stored > 0
            ? `I still hold ${plural(stored, "message")} you wrote while you consented. Delete them now?`
            : undefined,
        );
        if (stored > 0) {
          screen.options.reply_markup
            .row()
            .text(`🗑 Delete ${plural(stored, "message")}`, button(ctx, "delete-stored", userId))
            .text("Keep them", button(ctx, "keep-stored", userId));
        }
        await ctx.editMessageText(screen.text, screen.options);
        return ctx.answerCallbackQuery({
          text: changed
            ? "I have stopped recording your messages."
            : "Already done: I do not record your messages.",
        });
      }
      case "delete-stored": {
        const { deleted, state } = await deleteStoredMessages(op, ctx.services);
        const screen = consentScreen(
          ctx,
          state,
          userId,
          `🗑 Deleted ${plural(deleted, "stored message")}.`,
        );
        await ctx.editMessageText(screen.text, screen.options);
        return ctx.answerCallbackQuery({ text: `Deleted ${plural(deleted, "message")}.` });
      }
      case "keep-stored": {
        const { state } = await consentStatus(op);
        const screen = consentScreen(ctx, state, userId);
        await ctx.editMessageText(screen.text, screen.options);
        return ctx.answerCallbackQuery({ text: "Kept. /delete erases them whenever you like." });
      }
    }
  });

  return composer;
}
