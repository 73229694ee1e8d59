import { Composer } from "grammy";
import type { Chat, ChatMember, User as TelegramUser } from "grammy/types";
import { LruCache } from "#bot/lib/lru";
import type { PeopleChanges, PersonCache } from "#bot/people/changes";
import type { BotContext, Viewer } from "#bot/telegram/context";
import { unitOf } from "#bot/telegram/unit";
import {
  botMembership,
  joinedTeam,
  learnPerson,
  learnTeam,
  leftTeam,
  memberAdded,
  type TeamsOperation,
  type TelegramProfile,
  teamMoved,
} from "./core.ts";

export interface KnownProfile {
  signature: string;
  viewer: Viewer;
}

/**
 * What this process remembers about people, groups and memberships, shared by the
 * per-update path (trackPeople) and the batched ingest of chatter. A person changed
 * anywhere is forgotten at once (`people`).
 */
export interface KnownPeople {
  profiles: PersonCache<KnownProfile>;
  /** Per user, the teams they are known to be in: forgetting a person is one delete. */
  members: PersonCache<Set<number>>;
  /** Per group, its last known title. */
  teams: LruCache<number, string>;
}

export function knownPeople(people: PeopleChanges): KnownPeople {
  return {
    profiles: people.cache<KnownProfile>(20_000),
    members: people.cache<Set<number>>(20_000),
    teams: new LruCache<number, string>(5_000),
  };
}

/** The cache key of a profile: an unchanged profile needs no write. */
export const profileSignature = (profile: TelegramProfile) => JSON.stringify(profile);

const sameViewer = (a: Viewer, b: Viewer) =>
  a.timeZone === b.timeZone &&
  a.consentVersion === b.consentVersion &&
  a.consentPromptedVersion === b.consentPromptedVersion;

export const isGroup = (chat: Chat | undefined): chat is Chat.GroupChat | Chat.SupergroupChat =>
  chat?.type === "group" || chat?.type === "supergroup";

const STILL_MEMBER: ReadonlySet<ChatMember["status"]> = new Set([
  "creator",
  "administrator",
  "member",
]);

export function stillInChat(member: ChatMember): boolean {
  if (member.status === "restricted") return member.is_member;
  return STILL_MEMBER.has(member.status);
}

/** The update as a teams operation (its sender, if any, acts). */
function teamsOp(ctx: BotContext): TeamsOperation {
  return { ...unitOf(ctx, ctx.from ?? { id: 0 }), effects: {} };
}

export function profileOf(user: TelegramUser): TelegramProfile {
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
 * know who is in a group. Most updates repeat what we know, so facts are cached per
 * process and only changes reach the database; a cache entry is written only after the
 * update commits, so a rolled-back update cannot leave a false memory. A person changed
 * anywhere (consent, time zone, erasure, leaving a group) is forgotten at once: `people`.
 */
export function trackPeople(known: KnownPeople): Composer<BotContext> {
  const { profiles: knownProfiles, members: knownMembers, teams: knownTeams } = known;
  const composer = new Composer<BotContext>();

  composer.use(async (ctx, next) => {
    const op = teamsOp(ctx);
    const from = ctx.from;
    const chat = ctx.chat;
    const wrotePrivately = chat?.type === "private" && ctx.message !== undefined;
    ctx.viewer = { timeZone: "UTC", consentVersion: null, consentPromptedVersion: null };
    // Before any read: what this update learns is kept only if the person did not change since.
    const readAt = knownProfiles.readAt();
    if (from && !from.is_bot) {
      const profile = profileOf(from);
      const signature = profileSignature(profile);
      const known = knownProfiles.get(from.id);
      // A private message always goes through: it may lift a block or mark a first start.
      let remembered: Viewer | undefined;
      if (known?.signature === signature && !wrotePrivately) {
        remembered = known.viewer;
        ctx.viewer = { ...known.viewer };
      } else {
        const standing = await learnPerson(op, ctx.services, { profile, wrotePrivately });
        ctx.viewer = {
          timeZone: standing.timezone,
          consentVersion: standing.consentVersion,
          consentPromptedVersion: standing.consentPromptedVersion,
        };
      }
      // Runs after the handlers, so what they changed (a consent, a timezone) is kept too;
      // an erasure's own effect, queued later, forgets the person after this.
      ctx.afterCommit(async () => {
        if (remembered && sameViewer(remembered, ctx.viewer)) return;
        knownProfiles.set(from.id, { signature, viewer: { ...ctx.viewer } }, readAt);
      });
    }
    if (isGroup(chat)) {
      if (knownTeams.get(chat.id) !== chat.title) {
        await learnTeam(op, { id: chat.id, title: chat.title });
        ctx.afterCommit(async () => knownTeams.set(chat.id, chat.title));
      }
      const actsInChat = ctx.message !== undefined || ctx.callbackQuery !== undefined;
      if (from && !from.is_bot && actsInChat && !knownMembers.get(from.id)?.has(chat.id)) {
        await joinedTeam(op, { teamId: chat.id, userId: from.id });
        ctx.afterCommit(async () => {
          const teams = new Set(knownMembers.get(from.id));
          knownMembers.set(from.id, teams.add(chat.id), readAt);
        });
      }
    }
    await next();
  });

  const forget = (ctx: BotContext, chatId: number, userId: number) => {
    knownMembers.get(userId)?.delete(chatId);
    return leftTeam(teamsOp(ctx), { teamId: chatId, userId });
  };
  const remember = (ctx: BotContext, chatId: number, user: TelegramUser) =>
    memberAdded(teamsOp(ctx), ctx.services, { teamId: chatId, profile: profileOf(user) });

  composer.on("chat_member", async (ctx, next) => {
    const { chat, new_chat_member: member } = ctx.chatMember;
    if (isGroup(chat) && !member.user.is_bot) {
      if (stillInChat(member)) await remember(ctx, chat.id, member.user);
      else await forget(ctx, chat.id, member.user.id);
    }
    await next();
  });

  // The bot itself removed (its digest stops) or added back (everything resumes).
  composer.on("my_chat_member", async (ctx, next) => {
    const { chat, new_chat_member: member } = ctx.myChatMember;
    if (isGroup(chat)) {
      await botMembership(teamsOp(ctx), { teamId: chat.id, present: stillInChat(member) });
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
    await teamMoved(teamsOp(ctx), { fromId: ctx.chat.id, toId: ctx.message.migrate_to_chat_id });
    await next();
  });

  return composer;
}
