import type { Sql } from "postgres";
import { PRIVACY_POLICY_VERSION } from "#bot/privacy/policy";
import type { Standing, TelegramProfile } from "#bot/teams/core";
import {
  addMembers,
  type ChatterMessage,
  claimChatter,
  type MembershipPair,
  removeMembers,
  storeMessages,
  tryLockChats,
  upsertProfiles,
  upsertTeams,
} from "#db/ingest";
import type { Vault } from "#db/vault";
import type { Chatter } from "./chatter.ts";

/** What this process already knows, so unchanged facts cost no statement. */
export interface IngestMemory {
  /** The person's standing if their profile is known unchanged. */
  standing(profile: TelegramProfile): Standing | undefined;
  teamTitle(teamId: number): string | undefined;
  isMember(teamId: number, userId: number): boolean;
}

export type Outcome = "stored" | "duplicate" | "diverted";

/** What a committed batch taught, for the process's caches. */
export interface Learned {
  profiles: Array<{ profile: TelegramProfile; standing: Standing }>;
  teams: Array<{ id: number; title: string }>;
  joined: MembershipPair[];
  left: MembershipPair[];
}

export interface IngestDeps {
  sql: Sql;
  vault: Vault;
}

const pairKey = (p: MembershipPair) => `${p.teamId}:${p.userId}`;

/**
 * One micro-batch of chatter in one transaction: claims the update ids (a duplicate, in the
 * batch or from before, is dropped; a message a form may be waiting for is handed back),
 * then writes people, groups, memberships and consented messages with a statement each.
 * Outcomes are per update, in the batch's order.
 */
export async function ingestChatter(
  deps: IngestDeps,
  memory: IngestMemory,
  batch: readonly Chatter[],
  now: Date,
): Promise<{ outcomes: Outcome[]; learned: Learned }> {
  const learned: Learned = { profiles: [], teams: [], joined: [], left: [] };
  // Not a reserved connection with BEGIN pipelined: postgres.js's reserve() never settles
  // while the database is unreachable (test/http/database-down.test.ts), so a batch would hang.
  const outcomes = await deps.sql.begin(async (tx) => {
    const locking = tryLockChats(
      tx,
      batch.map((chatter) => chatter.team.id),
    ).execute();
    const claims = await claimChatter(
      tx,
      batch.map((chatter) => ({
        updateId: chatter.updateId,
        chatId: chatter.team.id,
        formUserId: chatter.mayAnswerForm ? (chatter.sender?.id ?? null) : null,
      })),
      now,
    );
    await locking;
    const fresh = batch.filter((_, index) => claims[index]?.fresh === true);
    if (fresh.length > 0) await writeFacts(tx, deps.vault, memory, fresh, now, learned);
    return claims.map(
      (claim): Outcome => (claim.diverted ? "diverted" : claim.fresh ? "stored" : "duplicate"),
    );
  });
  return { outcomes, learned };
}

async function writeFacts(
  tx: Parameters<typeof upsertTeams>[0],
  vault: Vault,
  memory: IngestMemory,
  batch: readonly Chatter[],
  now: Date,
  learned: Learned,
): Promise<void> {
  const profiles = new Map<number, TelegramProfile>();
  const standings = new Map<number, Standing>();
  const teams = new Map<number, string>();
  // Per membership, in the batch's order: whether anyone left, and the last word on it.
  const memberships = new Map<string, { pair: MembershipPair; left: boolean; stays: boolean }>();
  const event = (pair: MembershipPair, stays: boolean) => {
    const known = memberships.get(pairKey(pair));
    memberships.set(pairKey(pair), { pair, left: (known?.left ?? false) || !stays, stays });
  };

  for (const chatter of batch) {
    const { team, sender } = chatter;
    if (memory.teamTitle(team.id) !== team.title) teams.set(team.id, team.title);
    if (sender) {
      const standing = memory.standing(sender);
      if (standing && !profiles.has(sender.id)) standings.set(sender.id, standing);
      else profiles.set(sender.id, sender);
      const pair = { teamId: team.id, userId: sender.id };
      const known = memberships.has(pairKey(pair)) || !memory.isMember(team.id, sender.id);
      if (chatter.senderActs && known) event(pair, true);
    }
    for (const profile of chatter.joined) {
      profiles.set(profile.id, profile);
      event({ teamId: team.id, userId: profile.id }, true);
    }
    for (const userId of chatter.left) event({ teamId: team.id, userId }, false);
  }

  // In id order: two batches writing the same people lock their rows in the same order.
  const written = [...profiles.values()].sort((a, b) => a.id - b.id);
  // People, groups and leaving go out together: none needs another's answer.
  const [fromProfiles] = await Promise.all([
    upsertProfiles(tx, vault, written, now),
    upsertTeams(
      tx,
      [...teams].map(([id, title]) => ({ id, title })),
      now,
    ),
  ]);
  for (const [id, standing] of fromProfiles) standings.set(id, standing);
  const all = [...memberships.values()];
  const left = all.filter((m) => m.left).map((m) => m.pair);
  const joined = all.filter((m) => m.stays).map((m) => m.pair);
  await Promise.all([
    removeMembers(tx, left),
    addMembers(tx, joined, now),
    storeMessages(tx, vault, messagesToKeep(batch, standings), PRIVACY_POLICY_VERSION),
  ]);

  learned.profiles = written
    .filter((profile) => batch.some((chatter) => chatter.sender?.id === profile.id))
    .flatMap((profile) => {
      const standing = standings.get(profile.id);
      return standing ? [{ profile, standing }] : [];
    });
  learned.teams = [...teams].map(([id, title]) => ({ id, title }));
  learned.joined = joined;
  learned.left = left;
}

/**
 * One row per message (the last edit wins): new messages of consenting authors sealed; an
 * edit always goes (sealed only when its author consents), since an edit after a withdrawal
 * removes the stored copy. The statement checks the consent again as it writes.
 */
function messagesToKeep(
  batch: readonly Chatter[],
  standings: ReadonlyMap<number, Standing>,
): ChatterMessage[] {
  const byKey = new Map<string, ChatterMessage>();
  for (const { team, message } of batch) {
    if (!message) continue;
    const consents = standings.get(message.authorId)?.consentVersion === PRIVACY_POLICY_VERSION;
    if (!consents && message.editedAt === null) continue;
    byKey.set(`${team.id}:${message.messageId}`, {
      chatId: team.id,
      teamId: team.id,
      messageId: message.messageId,
      authorId: message.authorId,
      text: consents ? message.text : null,
      date: message.date,
      replyToMessageId: message.replyToMessageId,
      editedAt: message.editedAt,
    });
  }
  return [...byKey.values()];
}
