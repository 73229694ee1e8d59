import { Composer, InlineKeyboard } from "grammy";
import type { BotCommand } from "grammy/types";
import { formatTime } from "#bot/lib/moments";
import { setTimeZone } from "#bot/people/settings";
import { encodeTaskAction } from "#bot/tasks/callbacks";
import { snoozeButton } from "#bot/telegram/callback-data";
import type { BotContext } from "#bot/telegram/context";
import { unitOf } from "#bot/telegram/unit";
import { setQuietHours, snoozeReminder } from "./core.ts";
import { formatClockTime, parseClockTime } from "./quiet.ts";

export const reminderCommands: BotCommand[] = [
  { command: "timezone", description: "Your timezone, for due dates and reminders" },
  { command: "quiet", description: "Quiet hours: no reminders during them" },
];

/** /timezone, /quiet, and the Snooze and Tomorrow buttons under reminders. */
export function remindersFeature(): Composer<BotContext> {
  const composer = new Composer<BotContext>();

  composer.command("timezone", async (ctx) => {
    if (!ctx.from) return;
    const name = ctx.match.trim();
    if (name === "") {
      await ctx.reply(
        `Your timezone is ${ctx.viewer.timeZone}. Change it with /timezone and a name like Europe/Kyiv or America/New_York.`,
      );
      return;
    }
    const zone = await setTimeZone(unitOf(ctx, ctx.from), name);
    ctx.viewer.timeZone = zone;
    const local = formatTime(ctx.services.clock.now(), zone);
    await ctx.reply(
      `Your timezone is now ${zone} (it is ${local} there). Due dates and reminders use it.`,
    );
  });

  composer.command("quiet", async (ctx) => {
    if (!ctx.from) return;
    const text = ctx.match.trim().toLowerCase();
    if (text === "off") {
      await setQuietHours(unitOf(ctx, ctx.from), null);
      await ctx.reply("Quiet hours are off: reminders come when they are due.");
      return;
    }
    const [from = "", to = ""] = text.split("-");
    const start = parseClockTime(from);
    const end = parseClockTime(to);
    if (start === null || end === null || start === end) {
      await ctx.reply(
        `Send quiet hours as /quiet 22:00-08:00 (in your timezone, ${ctx.viewer.timeZone}), or /quiet off. Reminders that fall in them wait until they end.`,
      );
      return;
    }
    await setQuietHours(unitOf(ctx, ctx.from), { start, end });
    await ctx.reply(
      `Quiet hours: ${formatClockTime(start)}–${formatClockTime(end)} (${ctx.viewer.timeZone}). Reminders due then come at ${formatClockTime(end)}.`,
    );
  });

  composer.callbackQuery(snoozeButton.match, async (ctx, next) => {
    const press = snoozeButton.decode(ctx.callbackQuery.data);
    if (!press) return next();
    const snoozed = await snoozeReminder(unitOf(ctx, ctx.from), press.reminderId, press.until);
    const when =
      press.until === "hour"
        ? "in an hour"
        : `tomorrow at ${formatTime(snoozed.at, snoozed.timeZone)}`;
    await ctx.answerCallbackQuery({ text: `I'll remind you again ${when}.` });
    await ctx
      .editMessageReplyMarkup({
        reply_markup: new InlineKeyboard().text(
          "✓ Done",
          encodeTaskAction({ kind: "status", taskId: snoozed.taskId, status: "done" }),
        ),
      })
      .catch(() => {});
  });
  return composer;
}
