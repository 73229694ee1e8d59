import { Composer, InlineKeyboard } from "grammy";
import type { BotCommand } from "grammy/types";
import { DateTime } from "luxon";
import { formatTime } from "#bot/privacy/chat";
import { encodeTaskAction } from "#bot/tasks/callbacks";
import { snoozeButton } from "#bot/telegram/callback-data";
import type { BotContext } from "#bot/telegram/context";
import { remindAgainAt, reminderFor, setQuietHours, setTimezone } from "#db/reminders";
import { formatClockTime, parseClockTime } from "./quiet.ts";
import { canonicalTimeZone } from "./timezone.ts";

export const reminderCommands: BotCommand[] = [
  { command: "timezone", description: "Your timezone, for due dates and reminders" },
  { command: "quiet", description: "Quiet hours: no reminders during them" },
];

const HOUR = 60 * 60 * 1000;

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
    const zone = canonicalTimeZone(name);
    if (zone === null) {
      await ctx.reply(
        `I don't know the timezone “${name}”. Use a name like Europe/Kyiv or America/New_York (the IANA time zone names).`,
      );
      return;
    }
    await setTimezone(ctx.db, ctx.from.id, zone);
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
      await setQuietHours(ctx.db, ctx.from.id, null);
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
    await setQuietHours(ctx.db, ctx.from.id, { start, end });
    await ctx.reply(
      `Quiet hours: ${formatClockTime(start)}–${formatClockTime(end)} (${ctx.viewer.timeZone}). Reminders due then come at ${formatClockTime(end)}.`,
    );
  });

  composer.callbackQuery(snoozeButton.match, async (ctx, next) => {
    const press = snoozeButton.decode(ctx.callbackQuery.data);
    if (!press) return next();
    const reminder = await reminderFor(ctx.db, press.reminderId);
    if (!reminder || reminder.recipientId !== ctx.from.id) {
      await ctx.answerCallbackQuery({ text: "This reminder is no longer yours to move." });
      return;
    }
    const now = ctx.services.clock.now();
    const at =
      press.until === "hour"
        ? new Date(now.getTime() + HOUR)
        : DateTime.fromJSDate(now, { zone: reminder.timezone }).plus({ days: 1 }).toJSDate();
    await remindAgainAt(ctx.db, reminder.id, at);
    const when =
      press.until === "hour" ? "in an hour" : `tomorrow at ${formatTime(at, reminder.timezone)}`;
    await ctx.answerCallbackQuery({ text: `I'll remind you again ${when}.` });
    await ctx
      .editMessageReplyMarkup({
        reply_markup: new InlineKeyboard().text(
          "✓ Done",
          encodeTaskAction({ kind: "status", taskId: reminder.taskId, status: "done" }),
        ),
      })
      .catch(() => {});
  });
  return composer;
}
