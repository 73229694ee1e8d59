import { Composer } from "grammy";
import type { BotCommand } from "grammy/types";
import { formatClockTime, parseClockTime } from "#bot/reminders/quiet";
import type { BotContext } from "#bot/telegram/context";
import { removeDigest, setDigest } from "#db/digests";

export const digestCommands: BotCommand[] = [
  { command: "digest", description: "A daily digest: /digest 09:00 in a group, /digest me 08:30" },
];

const USAGE = [
  "In a group: /digest 09:00 sends the team a daily digest at 09:00 (add mention to notify people), /digest off stops it.",
  "In our private chat: /digest me 08:30 sends you your own, /digest me off stops it.",
].join("\n");

/** Who may change a group's digest: bot admins and the group's own admins. */
async function mayManageGroup(ctx: BotContext): Promise<boolean> {
  if (!ctx.from) return false;
  if (ctx.services.adminIds.has(ctx.from.id)) return true;
  const member = await ctx.getChatMember(ctx.from.id).catch(() => null);
  return member?.status === "creator" || member?.status === "administrator";
}

/** /digest: a team's daily digest in its group, or a person's own in private chat. */
export function digestsFeature(): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.command("digest", async (ctx) => {
    if (!ctx.from) return;
    const words = ctx.match.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const personal = words[0] === "me";
    const args = personal ? words.slice(1) : words;
    const timeZone = ctx.viewer.timeZone;

    if (personal) {
      if (ctx.chat.type !== "private") {
        await ctx.reply("Ask me for your own digest in our private chat: /digest me 08:30.");
        return;
      }
      if (args[0] === "off") {
        await removeDigest(ctx.db, ctx.from.id, "personal");
        await ctx.reply("Your daily digest is off.");
        return;
      }
      const at = args.length === 1 ? parseClockTime(args[0] ?? "") : null;
      if (at === null) {
        await ctx.reply(USAGE);
        return;
      }
      await setDigest(ctx.db, {
        chatId: ctx.from.id,
        kind: "personal",
        atMinute: at,
        timezone: timeZone,
        mention: false,
      });
      await ctx.reply(
        `Every day at ${formatClockTime(at)} (${timeZone}) I'll send you what is due and overdue.`,
      );
      return;
    }

    if (ctx.chat.type === "private") {
      await ctx.reply(USAGE);
      return;
    }
    if (!(await mayManageGroup(ctx))) {
      await ctx.reply("Only the group's admins can change its digest.");
      return;
    }
    if (args[0] === "off" && args.length === 1) {
      await removeDigest(ctx.db, ctx.chat.id, "team");
      await ctx.reply("The daily digest is off for this group.");
      return;
    }
    const at = parseClockTime(args[0] ?? "");
    const mention = args[1] === "mention";
    if (at === null || args.length > 2 || (args.length === 2 && !mention)) {
      await ctx.reply(USAGE);
      return;
    }
    await setDigest(ctx.db, {
      chatId: ctx.chat.id,
      kind: "team",
      atMinute: at,
      timezone: timeZone,
      mention,
    });
    await ctx.reply(
      `Every day at ${formatClockTime(at)} (${timeZone}) I'll post what is overdue, due today and completed since yesterday, by person${mention ? ", mentioning them" : ", by name only (no notifications)"}.`,
    );
  });
  return composer;
}
