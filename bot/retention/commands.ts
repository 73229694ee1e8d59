import { Composer } from "grammy";
import { z } from "zod";
import { NotFound } from "#bot/lib/errors";
import { escapeHtml, fitMessage } from "#bot/lib/html";
import { formatMoment } from "#bot/lib/moments";
import { plural } from "#bot/lib/text";
import {
  CONFIRM_VALIDITY,
  offerConfirmation,
  PURGE,
  SHORTEN_RETENTION,
  takeConfirmation,
} from "#bot/telegram/confirm";
import type { BotContext } from "#bot/telegram/context";
import { unitOf } from "#bot/telegram/unit";
import { announcePeriod } from "./announce.ts";
import {
  ADMINS_ONLY,
  groupRetention,
  retentionChange,
  retentionReport,
  setPeriod,
} from "./core/period.ts";
import { purgePreview } from "./core/purge.ts";
import type { RetentionChange, RetentionOperation } from "./core/types.ts";
import { retentionOperation } from "./effects.ts";
import { parseRetentionRequest } from "./parse.ts";
import { describePurge, runPurgeForAdmin } from "./purge-command.ts";

const isAdmin = (ctx: BotContext) =>
  ctx.from !== undefined && ctx.services.adminIds.has(ctx.from.id);

const days = (count: number) => plural(count, "day");

/** The update as a retention operation: groups are told through the bot's own API. */
export function retentionOp(ctx: BotContext): RetentionOperation {
  return retentionOperation(unitOf(ctx, ctx.from ?? { id: 0 }), ctx.services.vault);
}

function subject(change: RetentionChange, title: string | null): string {
  if (change.scope === "global") return "the global retention period";
  return `the retention period of “${escapeHtml(title ?? "")}” (${change.teamId})`;
}

const unknownGroup = (teamId: number) =>
  `I do not know the group ${teamId}: I must be a member and have seen a message there. Nothing changed.`;

/**
 * Asks the core for the change. A shorter period deletes messages, so unless `confirmed`
 * it comes back to be confirmed, with the count. In a group whose own period changed,
 * the answer is the group's one message about it; the other groups are told by the core's
 * effect once it has committed.
 */
async function changePeriod(
  ctx: BotContext,
  change: RetentionChange,
  confirmed: boolean,
): Promise<{ text: string; confirm?: { expired: number } }> {
  const here = ctx.chat?.id ?? null;
  const outcome = await setPeriod(retentionOp(ctx), ctx.services, {
    change,
    confirmed,
    here,
  }).catch((error: unknown) => {
    if (error instanceof NotFound) return null;
    throw error;
  });
  if (outcome === null) return { text: unknownGroup(change.scope === "team" ? change.teamId : 0) };
  const what = subject(change, outcome.title);
  switch (outcome.kind) {
    case "unchanged":
      return { text: `Nothing changed: ${what} is ${days(outcome.days)}.` };
    case "needs_confirmation":
      return {
        text: [
          `<b>Shorten ${what} from ${days(outcome.before)} to ${days(outcome.after)}?</b>`,
          "",
          `${plural(outcome.expired, "stored message")} will be deleted: those older than ${days(outcome.after)}${change.scope === "global" ? " in every group that follows the global period" : ""}. This cannot be undone.`,
          "",
          CONFIRM_VALIDITY,
        ].join("\n"),
        confirm: { expired: outcome.expired },
      };
    case "changed": {
      const { before, after, affected } = outcome;
      if (here !== null && affected.includes(here)) return { text: announcePeriod(after, before) };
      const elsewhere = affected.filter((id) => id !== here);
      const told =
        elsewhere.length > 0
          ? ` I am telling ${plural(elsewhere.length, "group")} it applies to.`
          : "";
      const source = change.days === null ? " (the default)" : "";
      return {
        text: `Done: ${what} is now ${days(after)}${source}, was ${days(before)}.${told}`,
      };
    }
  }
}

/** A shorter period is offered with one-time buttons; any other change is made at once. */
async function proposeChange(ctx: BotContext, change: RetentionChange): Promise<void> {
  const answer = await changePeriod(ctx, change, false);
  if (!answer.confirm) {
    await ctx.reply(answer.text, { parse_mode: "HTML" });
    return;
  }
  const buttons = await offerConfirmation(ctx.db, SHORTEN_RETENTION, {
    userId: ctx.from?.id ?? 0,
    payload: change,
    now: ctx.services.clock.now(),
    yes: `🗑 Shorten, delete ${plural(answer.confirm.expired, "message")}`,
  });
  await ctx.reply(answer.text, { parse_mode: "HTML", reply_markup: buttons });
}

async function fullReport(ctx: BotContext): Promise<string> {
  const report = await retentionReport(retentionOp(ctx), ctx.services);
  const { global, teams, counts, lastPurge: last, purgeIntervalMinutes } = report;
  const head = [
    "<b>Message retention</b>",
    `Global period: ${days(global.days)}${global.setDays === null ? " (the default)" : ""}; allowed ${report.minDays} to ${report.maxDays} days.`,
    "",
    teams.length === 0 ? "No group has its own period." : "Groups with their own period:",
  ];
  const teamLines = teams.map(
    (team) =>
      `• ${escapeHtml(team.title || "untitled")} (${team.teamId}): ${days(team.days)}${team.days !== team.setDays ? ` (set to ${team.setDays}, outside the bounds)` : ""}`,
  );
  const tail = [
    "",
    `Stored messages: ${counts.stored.toLocaleString("en")}, of which ${counts.expired.toLocaleString("en")} expired and waiting for the purge.`,
    last
      ? `Last purge: ${formatMoment(last.at, ctx.viewer.timeZone)} (${last.trigger === "admin" ? "by an admin" : "scheduled"}), removed ${describePurge(last.counts)}.`
      : "No purge has run yet.",
    purgeIntervalMinutes > 0
      ? `Automatic purge: every ${plural(purgeIntervalMinutes, "minute")}. /purge runs it now.`
      : "Automatic purge: off (PURGE_INTERVAL_MINUTES=0). /purge runs it now.",
  ];
  return fitMessage({
    head,
    lines: teamLines,
    tail,
    more: (omitted) => `…and ${plural(omitted.length, "more group")}.`,
  });
}

async function groupReport(ctx: BotContext, teamId: number): Promise<string> {
  const group = await groupRetention(retentionOp(ctx), ctx.services, teamId);
  const own = group.own
    ? `this group's own period; the global one is ${days(group.globalDays)}`
    : "the global period";
  return [
    "<b>Message retention in this group</b>",
    `Stored messages here are kept ${days(group.days)} (${own}). Allowed: ${group.minDays} to ${group.maxDays} days.`,
    `Stored here: ${group.counts.stored.toLocaleString("en")}, of which ${group.counts.expired.toLocaleString("en")} expired and waiting for the purge.`,
    "The full report is in our private chat: /retention.",
  ].join("\n");
}

/** /retention and /purge, for bot admins (the core refuses anyone else too). */
export function retentionFeature(): Composer<BotContext> {
  const composer = new Composer<BotContext>();

  composer.command("retention", async (ctx) => {
    if (!isAdmin(ctx)) return ctx.reply(ADMINS_ONLY);
    const { rules } = ctx.services.retention;
    const request = parseRetentionRequest(ctx.match, rules);
    const group = ctx.chat.type === "private" ? null : ctx.chat.id;
    if (request.kind === "invalid") return ctx.reply(request.reason);
    if (request.kind === "show") {
      const report = group === null ? await fullReport(ctx) : await groupReport(ctx, group);
      return ctx.reply(report, { parse_mode: "HTML" });
    }
    const value = request.days === "default" ? null : request.days;
    const teamId = request.where === "team" ? request.teamId : group;
    await proposeChange(
      ctx,
      teamId === null ? { scope: "global", days: value } : { scope: "team", teamId, days: value },
    );
  });

  composer.callbackQuery(SHORTEN_RETENTION.buttons.match, async (ctx) => {
    if (!isAdmin(ctx)) return ctx.answerCallbackQuery({ text: ADMINS_ONLY, show_alert: true });
    const confirmed = await takeConfirmation(ctx, SHORTEN_RETENTION);
    if (!confirmed) return;
    const change = retentionChange.safeParse(confirmed.payload);
    if (confirmed.answer === "no" || !change.success) {
      await ctx.editMessageText("Nothing changed.");
      return ctx.answerCallbackQuery();
    }
    const answer = await changePeriod(ctx, change.data, true);
    await ctx.editMessageText(answer.text, { parse_mode: "HTML" });
    await ctx.answerCallbackQuery();
  });

  composer.command("purge", async (ctx) => {
    if (!ctx.from || !isAdmin(ctx)) return ctx.reply(ADMINS_ONLY);
    if (ctx.chat.type !== "private") return ctx.reply("Ask me for /purge in our private chat.");
    const { auditRetentionDays } = ctx.services.retention;
    const counts = await purgePreview(retentionOp(ctx), ctx.services);
    const buttons = await offerConfirmation(ctx.db, PURGE, {
      userId: ctx.from.id,
      payload: { expected: counts.expired },
      now: ctx.services.clock.now(),
      yes: `🗑 Purge ${plural(counts.expired, "message")}`,
    });
    await ctx.reply(
      [
        "<b>Purge now?</b>",
        "",
        `${plural(counts.expired, "expired message")} (of ${counts.stored.toLocaleString("en")} stored) will be deleted, with old update ids, abandoned forms, expired confirmations and audit entries older than ${days(auditRetentionDays)}.`,
        "",
        CONFIRM_VALIDITY,
      ].join("\n"),
      { parse_mode: "HTML", reply_markup: buttons },
    );
  });

  composer.callbackQuery(PURGE.buttons.match, async (ctx) => {
    if (!isAdmin(ctx)) return ctx.answerCallbackQuery({ text: ADMINS_ONLY, show_alert: true });
    const confirmed = await takeConfirmation(ctx, PURGE);
    if (!confirmed) return;
    if (confirmed.answer === "no") {
      await ctx.editMessageText("Nothing was purged.");
      return ctx.answerCallbackQuery();
    }
    const expected = z.object({ expected: z.number().int() }).safeParse(confirmed.payload);
    runPurgeForAdmin(ctx, retentionOp(ctx), expected.success ? expected.data.expected : 0);
  });
  return composer;
}
