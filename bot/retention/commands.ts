import { Composer } from "grammy";
import { z } from "zod";
import { escapeHtml, fitMessage } from "#bot/lib/html";
import { plural } from "#bot/lib/text";
import { formatMoment } from "#bot/privacy/chat";
import {
  CONFIRM_VALIDITY,
  offerConfirmation,
  PURGE,
  SHORTEN_RETENTION,
  takeConfirmation,
} from "#bot/telegram/confirm";
import type { BotContext } from "#bot/telegram/context";
import {
  countMessages,
  globalPeriod,
  lastPurge,
  type RetentionChange,
  teamPeriod,
  teamPeriods,
} from "#db/retention";
import { announcePeriod, tellGroups } from "./announce.ts";
import { changeRetention, periodAfter, periodNow } from "./change.ts";
import { parseRetentionRequest } from "./parse.ts";
import { describePurge, runPurgeForAdmin } from "./purge-command.ts";

const ADMINS_ONLY = "Admins only.";

const changeSchema = z.union([
  z.object({ scope: z.literal("global"), days: z.number().int().positive().nullable() }),
  z.object({
    scope: z.literal("team"),
    teamId: z.number().int(),
    days: z.number().int().positive().nullable(),
  }),
]);

const isAdmin = (ctx: BotContext) =>
  ctx.from !== undefined && ctx.services.adminIds.has(ctx.from.id);

const days = (count: number) => plural(count, "day");

function subject(change: RetentionChange, title: string | null): string {
  if (change.scope === "global") return "the global retention period";
  return `the retention period of “${escapeHtml(title ?? "")}” (${change.teamId})`;
}

const unknownGroup = (teamId: number) =>
  `I do not know the group ${teamId}: I must be a member and have seen a message there. Nothing changed.`;

/**
 * Makes the change in the update's transaction, writes the audit record, and (once it
 * has committed) tells the groups whose period changed. Returns the admin's answer; in a
 * group whose own period changed, that answer is the group's one message about it.
 */
async function applyChange(ctx: BotContext, change: RetentionChange): Promise<string> {
  const outcome = await changeRetention(
    ctx.db,
    ctx.services,
    change,
    ctx.from?.id ?? 0,
    ctx.services.clock.now(),
  );
  if (outcome.kind === "unknown_team") {
    return unknownGroup(change.scope === "team" ? change.teamId : 0);
  }
  const what = subject(change, outcome.title);
  if (outcome.kind === "unchanged") return `Nothing changed: ${what} is ${days(outcome.days)}.`;
  const { before, after, affected } = outcome;
  const here = ctx.chat?.id;
  const elsewhere = affected.filter((id) => id !== here);
  if (elsewhere.length > 0) {
    const { api } = ctx;
    const { log } = ctx.services;
    ctx.afterCommit(() => tellGroups(api, log, elsewhere, announcePeriod(after, before)));
  }
  if (affected.includes(here ?? 0)) return announcePeriod(after, before);
  const told =
    elsewhere.length > 0 ? ` I am telling ${plural(elsewhere.length, "group")} it applies to.` : "";
  const source = change.days === null ? " (the default)" : "";
  return `Done: ${what} is now ${days(after)}${source}, was ${days(before)}.${told}`;
}

/** A shorter period deletes messages, so it is confirmed first, with the count. */
async function proposeChange(ctx: BotContext, change: RetentionChange): Promise<void> {
  const { rules } = ctx.services.retention;
  const before = await periodNow(ctx.db, rules, change);
  if (!before) {
    await ctx.reply(unknownGroup(change.scope === "team" ? change.teamId : 0));
    return;
  }
  const after = await periodAfter(ctx.db, rules, change);
  if (after >= before.days) {
    await ctx.reply(await applyChange(ctx, change), { parse_mode: "HTML" });
    return;
  }
  const now = ctx.services.clock.now();
  const { expired } = await countMessages(ctx.db, ctx.services.retention.rules, now, { change });
  const buttons = await offerConfirmation(ctx.db, SHORTEN_RETENTION, {
    userId: ctx.from?.id ?? 0,
    payload: change,
    now,
    yes: `🗑 Shorten, delete ${plural(expired, "message")}`,
  });
  const text = [
    `<b>Shorten ${subject(change, before.title)} from ${days(before.days)} to ${days(after)}?</b>`,
    "",
    `${plural(expired, "stored message")} will be deleted: those older than ${days(after)}${change.scope === "global" ? " in every group that follows the global period" : ""}. This cannot be undone.`,
    "",
    CONFIRM_VALIDITY,
  ].join("\n");
  await ctx.reply(text, { parse_mode: "HTML", reply_markup: buttons });
}

async function fullReport(ctx: BotContext): Promise<string> {
  const { rules, purgeIntervalMinutes } = ctx.services.retention;
  const now = ctx.services.clock.now();
  const global = await globalPeriod(ctx.db, rules);
  const teams = await teamPeriods(ctx.db, rules);
  const counts = await countMessages(ctx.db, rules, now);
  const last = await lastPurge(ctx.db);
  const head = [
    "<b>Message retention</b>",
    `Global period: ${days(global.days)}${global.setDays === null ? " (the default)" : ""}; allowed ${rules.minDays} to ${rules.maxDays} days.`,
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
  const { rules } = ctx.services.retention;
  const period = await teamPeriod(ctx.db, rules, teamId);
  const global = await globalPeriod(ctx.db, rules);
  const counts = await countMessages(ctx.db, rules, ctx.services.clock.now(), { teamId });
  const own =
    period?.setDays === null || !period
      ? "the global period"
      : `this group's own period; the global one is ${days(global.days)}`;
  return [
    "<b>Message retention in this group</b>",
    `Stored messages here are kept ${days(period?.days ?? global.days)} (${own}). Allowed: ${rules.minDays} to ${rules.maxDays} days.`,
    `Stored here: ${counts.stored.toLocaleString("en")}, of which ${counts.expired.toLocaleString("en")} expired and waiting for the purge.`,
    "The full report is in our private chat: /retention.",
  ].join("\n");
}

/** /retention and /purge, for bot admins. */
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
    const change = changeSchema.safeParse(confirmed.payload);
    if (confirmed.answer === "no" || !change.success) {
      await ctx.editMessageText("Nothing changed.");
      return ctx.answerCallbackQuery();
    }
    await ctx.editMessageText(await applyChange(ctx, change.data), { parse_mode: "HTML" });
    await ctx.answerCallbackQuery();
  });

  composer.command("purge", async (ctx) => {
    if (!ctx.from || !isAdmin(ctx)) return ctx.reply(ADMINS_ONLY);
    if (ctx.chat.type !== "private") return ctx.reply("Ask me for /purge in our private chat.");
    const { rules, auditRetentionDays } = ctx.services.retention;
    const now = ctx.services.clock.now();
    const counts = await countMessages(ctx.db, rules, now);
    const buttons = await offerConfirmation(ctx.db, PURGE, {
      userId: ctx.from.id,
      payload: { expected: counts.expired },
      now,
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
    runPurgeForAdmin(ctx, expected.success ? expected.data.expected : 0);
  });
  return composer;
}
