import { Composer } from "grammy";
import type { BotCommand } from "grammy/types";
import { periodInForce } from "#bot/retention/core/period";
import type { BotContext } from "#bot/telegram/context";
import { auditFeature } from "./audit-command.ts";
import { privacyOp } from "./chat.ts";
import { askForConsent, consentFeature, showConsent } from "./consent-commands.ts";
import { consentStatus, needsAsking } from "./core/consent.ts";
import { eraseFeature, offerErasure } from "./erase-command.ts";
import { exportFeature, exportInPrivate } from "./export-command.ts";
import { noticeAsMessage, privacyNotice } from "./policy.ts";

export const privacyCommands: BotCommand[] = [
  { command: "privacy", description: "What I keep about you, why, and for how long" },
  { command: "consent", description: "Give or withdraw consent to recording your messages" },
  { command: "export", description: "Get a copy of your data as a file" },
  { command: "delete", description: "Erase your data" },
];

/** Deep links from groups (t.me/<bot>?start=export) land on the matching action. */
const START_ACTIONS: Record<string, (ctx: BotContext, userId: number) => Promise<void>> = {
  consent: showConsent,
  export: exportInPrivate,
  delete: offerErasure,
};

/** Consent, the notice, export, erasure and the audit trail. */
export function privacyFeature(): Composer<BotContext> {
  const composer = new Composer<BotContext>();

  composer.chatType("private").command("start", async (ctx) => {
    const action = START_ACTIONS[ctx.match];
    if (action) return action(ctx, ctx.from.id);
    const neverAsked = (await consentStatus(privacyOp(ctx))).record === null;
    if (neverAsked || needsAsking(ctx.viewer)) await askForConsent(ctx, ctx.from.id);
  });

  composer.command("privacy", async (ctx) => {
    // In a group, the period that applies to that group's messages.
    const group = ctx.chat.type === "private" ? null : ctx.chat.id;
    const days = await periodInForce(ctx, ctx.services.retention.rules, group);
    await ctx.reply(noticeAsMessage(privacyNotice(days)), { parse_mode: "HTML" });
  });

  composer.use(consentFeature(), exportFeature(), eraseFeature(), auditFeature());
  return composer;
}
