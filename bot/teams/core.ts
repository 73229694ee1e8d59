import { NotFound } from "#bot/lib/errors";
import type { Operation } from "#bot/lib/operation";
import { PRIVACY_POLICY_VERSION } from "#bot/privacy/policy";
import type { RetentionRules } from "#bot/retention/core/types";
import { teamMembersJson } from "#db/members-json";
import { type StoredMessage, teamMessages } from "#db/messages";
import { teamMessagesJson } from "#db/messages-json";
import {
  addMember,
  isMember,
  listMembers,
  type Member,
  moveTeam,
  removeMember,
  setBotRemoved,
  teamHoldings,
  upsertTeam,
} from "#db/teams";
import { type Standing, type TelegramProfile, upsertUser } from "#db/users";
import type { Vault } from "#db/vault";

export type { Member } from "#db/teams";
export type { Standing, TelegramProfile } from "#db/users";

/** Teams leave nothing for after the commit: a membership change is announced by the database. */
export type TeamsEffects = Record<string, never>;
export type TeamsOperation = Operation<TeamsEffects>;

export interface TeamsDeps {
  vault: Vault;
  retention: { rules: RetentionRules };
}

/* Membership tracking: what every update teaches about people, groups and who is in which. */

/**
 * Records the person behind an update and returns their standing. `wrotePrivately`: they
 * wrote to the bot in private, so it may write to them (and a block is lifted).
 */
export function learnPerson(
  op: TeamsOperation,
  deps: Pick<TeamsDeps, "vault">,
  input: { profile: TelegramProfile; wrotePrivately: boolean },
): Promise<Standing> {
  return upsertUser(op.db, deps.vault, input.profile, input.wrotePrivately, op.now);
}

/** A group the bot is in, with its current title. */
export function learnTeam(op: TeamsOperation, team: { id: number; title: string }): Promise<void> {
  return upsertTeam(op.db, team, op.now);
}

/** The person is in the group (they wrote or pressed there). */
export function joinedTeam(op: TeamsOperation, input: { teamId: number; userId: number }) {
  return addMember(op.db, input.teamId, input.userId, op.now);
}

/** Telegram says the person was added to the group: known with their profile. */
export async function memberAdded(
  op: TeamsOperation,
  deps: Pick<TeamsDeps, "vault">,
  input: { teamId: number; profile: TelegramProfile },
): Promise<void> {
  await upsertUser(op.db, deps.vault, input.profile, false, op.now);
  await addMember(op.db, input.teamId, input.profile.id, op.now);
}

/** The person left the group or was removed: they no longer see its tasks. */
export function leftTeam(op: TeamsOperation, input: { teamId: number; userId: number }) {
  return removeMember(op.db, input.teamId, input.userId);
}

/** Whether the group already has tasks or stored messages (the demo fills only an empty one). */
export function teamHasHistory(op: TeamsOperation, teamId: number): Promise<boolean> {
  return teamHoldings(op.db, teamId).then((held) => held.tasks > 0 || held.messages > 0);
}

/** The bot itself was removed from the group (its digest stops) or added back. */
export function botMembership(op: TeamsOperation, input: { teamId: number; present: boolean }) {
  return setBotRemoved(op.db, input.teamId, input.present ? null : op.now);
}

/** A group upgraded to a supergroup gets a new chat id; its tasks move with it. */
export function teamMoved(op: TeamsOperation, input: { fromId: number; toId: number }) {
  return moveTeam(op.db, input.fromId, input.toId);
}

/* The API's reads: for current members of the team only, anyone else is told it does not exist. */

async function requireMember(op: TeamsOperation, teamId: number): Promise<void> {
  if (!(await isMember(op.db, teamId, op.actor.userId))) throw new NotFound("No such team.");
}

/** The team's members, in a stable order, for a member of the team. */
export async function teamMembers(
  op: TeamsOperation,
  deps: Pick<TeamsDeps, "vault">,
  teamId: number,
): Promise<Member[]> {
  await requireMember(op, teamId);
  return listMembers(op.db, deps.vault, teamId);
}

export interface MessagePage {
  messages: Array<StoredMessage & { id: number }>;
  /** The position to read on from; null: no more. */
  next: { date: Date; id: number } | null;
}

/**
 * The team's stored messages, newest first, for a member: within their period, of authors
 * who consent now, and written since the member joined (or their own).
 */
export async function teamStoredMessages(
  op: TeamsOperation,
  deps: TeamsDeps,
  input: { teamId: number; limit: number; before: { date: Date; id: number } | null },
): Promise<MessagePage> {
  await requireMember(op, input.teamId);
  const page = await teamMessages(
    op.db,
    deps.vault,
    { rules: deps.retention.rules, now: op.now, policyVersion: PRIVACY_POLICY_VERSION },
    input.teamId,
    op.actor.userId,
    { limit: input.limit, before: input.before },
  );
  const last = page.messages.at(-1);
  return {
    messages: page.messages,
    next: page.more && last ? { date: last.date, id: last.id } : null,
  };
}

/**
 * The same page as the API's JSON, written by PostgreSQL in one statement with the
 * membership check; the texts are opened only when the body is sent (not for a 304).
 */
export async function teamStoredMessagesAsJson(
  op: TeamsOperation,
  deps: TeamsDeps,
  input: { teamId: number; limit: number; before: { date: Date; id: number } | null },
  cursorOf: (last: { date: string; id: number }) => string,
): Promise<{ etag: string; body: () => string }> {
  const page = await teamMessagesJson(
    op.db,
    { rules: deps.retention.rules, now: op.now, policyVersion: PRIVACY_POLICY_VERSION },
    input.teamId,
    op.actor.userId,
    { limit: input.limit, before: input.before },
    cursorOf,
  );
  if (!page.member) throw new NotFound("No such team.");
  return { etag: page.etag, body: () => page.body(deps.vault) };
}

/** The team's members as the API's JSON, in one statement with the membership check. */
export async function teamMembersAsJson(
  op: TeamsOperation,
  deps: Pick<TeamsDeps, "vault">,
  teamId: number,
): Promise<{ etag: string; body: () => string }> {
  const members = await teamMembersJson(op.db, teamId, op.actor.userId);
  if (!members.member) throw new NotFound("No such team.");
  return { etag: members.etag, body: () => members.body(deps.vault) };
}
