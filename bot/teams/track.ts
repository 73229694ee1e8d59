import { Composer } from "grammy";
import type { Chat, ChatMember, User as TelegramUser } from "grammy/types";
import { LruCache } from "#bot/lib/lru";
import type { BotContext } from "#bot/telegram/context";
import { addMember, moveTeam, removeMember, upsertTeam } from "#db/teams";
import { type TelegramProfile, upsertUser } from "#db/users";

interface KnownProfile {
  signature: string;
  timeZone: string;
  checkedAt: number;
}

const PROFILE_FRESH_MS = 60_000;

const isGroup = (chat: Chat | undefined): chat is Chat.GroupChat | Chat.SupergroupChat =>
  chat?.type === "group" || chat?.type === "supergroup";

const STILL_MEMBER: ReadonlySet<ChatMember["status"]> = new Set([
  "creator",
  "administrator",
  "member",
]);

function stillInChat(member: ChatMember): boolean {
  if (member.status === "restricted") return member.is_member;
  return STILL_MEMBER.has(member.status);
}

function profileOf(user: TelegramUser): TelegramProfile {
  return {
    id: user.id,
    firstName: user.first_name,
    lastName: user.last_name ?? null,
    username: user.username ?? null,
    languageCode: user.language_code ?? null,
  };
}

/**
 * Learns users, teams and memberships from every update: the bot has no other way to
 * know who is in a group. Most updates repeat what we know, so recent facts are cached
 * per process and only changes reach the database; a cache entry is written only after
 * the update commits, so a rolled-back update cannot leave a false memory.
 */
export function trackPeople(): Composer<BotContext> {
  const knownProfiles = new LruCache<number, KnownProfile>(20_000);
  const knownMembers = new LruCache<string, true>(50_000);
  const knownTeams = new LruCache<number, string>(5_000);
  const composer = new Composer<BotContext>();

  composer.use(async (ctx, next) => {
    const now = ctx.app.clock.now();
    const from = ctx.from;
    const chat = ctx.chat;
    const wrotePrivately = chat?.type === "private" && ctx.message !== undefined;
    ctx.viewerTimeZone = "UTC";
    if (from && !from.is_bot) {
      const profile = profileOf(from);
      const signature = JSON.stringify(profile);
      const known = knownProfiles.get(from.id);
      // A private message always goes through: it may lift a block or mark a first start.
      // Timezones change rarely, and another instance may change one: a minute is fresh.
      const fresh =
        known?.signature === signature && now.getTime() - known.checkedAt < PROFILE_FRESH_MS;
      if (fresh && !wrotePrivately) {
        ctx.viewerTimeZone = known.timeZone;
      } else {
        const { timezone } = await upsertUser(ctx.db, profile, wrotePrivately, now);
        ctx.viewerTimeZone = timezone;
        const entry = { signature, timeZone: timezone, checkedAt: now.getTime() };
        ctx.afterCommit(async () => knownProfiles.set(from.id, entry));
      }
    }
    if (isGroup(chat)) {
      if (knownTeams.get(chat.id) !== chat.title) {
        await upsertTeam(ctx.db, { id: chat.id, title: chat.title }, now);
        ctx.afterCommit(async () => knownTeams.set(chat.id, chat.title));
      }
      const memberKey = from ? `${chat.id}:${from.id}` : "";
      const actsInChat = ctx.message !== undefined || ctx.callbackQuery !== undefined;
      if (from && !from.is_bot && actsInChat && !knownMembers.get(memberKey)) {
        await addMember(ctx.db, chat.id, from.id, now);
        ctx.afterCommit(async () => knownMembers.set(memberKey, true));
      }
    }
    await next();
  });

  const forget = (ctx: BotContext, chatId: number, userId: number) => {
    knownMembers.delete(`${chatId}:${userId}`);
    return removeMember(ctx.db, chatId, userId);
  };
  const remember = async (ctx: BotContext, chatId: number, user: TelegramUser) => {
    await upsertUser(ctx.db, profileOf(user), false, ctx.app.clock.now());
    await addMember(ctx.db, chatId, user.id, ctx.app.clock.now());
  };

  composer.on("chat_member", async (ctx, next) => {
    const { chat, new_chat_member: member } = ctx.chatMember;
    if (isGroup(chat) && !member.user.is_bot) {
      if (stillInChat(member)) await remember(ctx, chat.id, member.user);
      else await forget(ctx, chat.id, member.user.id);
    }
    await next();
  });

  composer.on("message:left_chat_member", async (ctx, next) => {
    const left = ctx.message.left_chat_member;
    if (isGroup(ctx.chat) && !left.is_bot) await forget(ctx, ctx.chat.id, left.id);
    await next();
  });

  composer.on("message:new_chat_members", async (ctx, next) => {
    if (isGroup(ctx.chat)) {
      for (const user of ctx.message.new_chat_members) {
        if (!user.is_bot) await remember(ctx, ctx.chat.id, user);
      }
    }
    await next();
  });

  // A group upgraded to a supergroup gets a new chat id; its tasks move with it.
  composer.on("message:migrate_to_chat_id", async (ctx, next) => {
    await moveTeam(ctx.db, ctx.chat.id, ctx.message.migrate_to_chat_id);
    await next();
  });

  return composer;
}
