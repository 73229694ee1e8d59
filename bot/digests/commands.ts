import { Composer } from "grammy";
import type { BotCommand } from "grammy/types";
import { formatClockTime, parseClockTime } from "#bot/reminders/quiet";
import type { BotContext } from "#bot/telegram/context";
import { unitOf } from "#bot/telegram/unit";
import { changeDigest, type DigestChange, type DigestsDeps } from "./core.ts";

/** Commands whose rule asks for the sender's standing in the group (see groupAdmins). */
export const ADMIN_ONLY_IN_GROUPS: ReadonlySet<string> = new Set(["digest"]);

export const digestCommands: BotCommand[] = [
  { command: "digest", description: "A daily digest: /digest 09:00 in a group, /digest me 08:30" },
];

const USAGE = [
  "In a group: /digest 09:00 sends the team a daily digest at 09:00 (add mention to notify people), /digest off stops it.",
  "In our private chat: /digest me 08:30 sends you your own, /digest me off stops it.",
].join("\n");

/**
 * Whether the sender is an admin of the group they write in, as Telegram told us before the
 * update's transaction opened (askSenderStatusFirst in telegram/bot.ts): nobody else's
 * standing is ever asked for here.
 */
function groupAdmins(ctx: BotContext): DigestsDeps {
  return {
    async isGroupAdmin(teamId, userId) {
      if (teamId !== ctx.chat?.id || userId !== ctx.from?.id) return false;
      return ctx.senderStatus === "creator" || ctx.senderStatus === "administrator";
    },
  };
}

/** What the person asked for, or null when it is not something /digest understands. */
function parseRequest(ctx: BotContext & { from: { id: number } }, words: string[]) {
  const personal = words[0] === "me";
  const args = personal ? words.slice(1) : words;
  const timezone = ctx.viewer.timeZone;
  if (personal) {
    if (args[0] === "off") {
      return { target: { kind: "personal" }, atMinute: null, timezone } satisfies DigestChange;
    }
    const at = args.length === 1 ? parseClockTime(args[0] ?? "") : null;
    if (at === null) return null;
    return { target: { kind: "personal" }, atMinute: at, timezone } satisfies DigestChange;
  }
  if (ctx.chat?.type === "private") return null;
  const teamId = ctx.chat?.id ?? 0;
  if (args[0] === "off" && args.length === 1) {
    return { target: { kind: "team", teamId }, atMinute: null, timezone } satisfies DigestChange;
  }
  const at = parseClockTime(args[0] ?? "");
  const mention = args[1] === "mention";
  if (at === null || args.length > 2 || (args.length === 2 && !mention)) return null;
  return {
    target: { kind: "team", teamId },
    atMinute: at,
    timezone,
    mention,
  } satisfies DigestChange;
}

/** /digest: a team's daily digest in its group, or a person's own in private chat. */
export function digestsFeature(): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.command("digest", async (ctx) => {
    if (!ctx.from) return;
    const words = ctx.match.trim().toLowerCase().split(/\s+/).filter(Boolean);
    if (words[0] === "me" && ctx.chat.type !== "private") {
      await ctx.reply("Ask me for your own digest in our private chat: /digest me 08:30.");
      return;
    }
    const request = parseRequest(ctx as BotContext & { from: { id: number } }, words);
    if (request === null) {
      await ctx.reply(USAGE);
      return;
    }
    const op = { ...unitOf(ctx, ctx.from), effects: {} };
    const outcome = await changeDigest(op, groupAdmins(ctx), request);
    if (outcome.kind === "stopped") {
      await ctx.reply(
        outcome.target === "personal"
          ? "Your daily digest is off."
          : "The daily digest is off for this group.",
      );
      return;
    }
    const { digest } = outcome;
    const when = `Every day at ${formatClockTime(digest.atMinute)} (${digest.timezone})`;
    await ctx.reply(
      digest.kind === "personal"
        ? `${when} I'll send you what is due and overdue.`
        : `${when} I'll post what is overdue, due today and completed since yesterday, by person${digest.mention ? ", mentioning them" : ", by name only (no notifications)"}.`,
    );
  });
  return composer;
}
