import type { Db } from "./client.ts";
import { messageIdentity } from "./messages.ts";
import { CHAT_LOCK_NAMESPACE } from "./updates.ts";
import { profileFromExcluded, type Standing, type TelegramProfile, usernameHash } from "./users.ts";
import type { Vault } from "./vault.ts";

/*
 * Group chatter in bulk: each function is one statement for a whole micro-batch. postgres.js
 * cannot bind bytea[] or timestamptz[] parameters, so sealed values travel as hex text and
 * times as Unix seconds, and are converted in SQL.
 */

const hex = (value: Buffer | null) => (value === null ? null : value.toString("hex"));

/**
 * Takes the advisory locks of the batch's chats that nobody holds (the same lock an
 * interactive update's claim takes), without waiting: a batch never stalls behind one chat.
 * claimChatter takes them again (a held lock is re-entrant) in the statement that reads
 * forms, so that read starts after the locks are held.
 */
export function tryLockChats(db: Db, chatKeys: readonly number[]) {
  const keys = [...new Set(chatKeys)].map(String);
  return db`
    select count(*) filter (where pg_try_advisory_xact_lock(${CHAT_LOCK_NAMESPACE}, hashtext(k)))::int
      as locked
    from unnest(${keys}::text[]) as k
  `;
}

/** A chatter update to claim: a message's sender may be in the middle of a form. */
export interface ChatterClaim {
  updateId: number;
  chatId: number;
  /** The sender of a new message (a form may be waiting for it); null for other updates. */
  formUserId: number | null;
}

export interface ClaimResult {
  updateId: number;
  /** Processed for the first time now. */
  fresh: boolean;
  /**
   * Belongs to the interactive path: it or an earlier update of its chat may answer a form,
   * or another transaction holds the chat (it will wait for it there).
   */
  diverted: boolean;
}

/**
 * Records the batch's update ids, except those a form may be waiting for: a message from a
 * member with a form in progress in its chat goes the interactive way, and so does every
 * later update of that chat in the batch, to keep the chat's order. So do all of a chat
 * whose lock another transaction holds (a duplicate whose original is in flight elsewhere
 * among them). Run after tryLockChats in the same transaction.
 */
export async function claimChatter(
  db: Db,
  claims: readonly ChatterClaim[],
  now: Date,
): Promise<ClaimResult[]> {
  return db<ClaimResult[]>`
    with candidate as (
      select * from unnest(${claims.map((c) => c.updateId)}::bigint[],
                           ${claims.map((c) => c.chatId)}::bigint[],
                           ${claims.map((c) => c.formUserId) as number[]}::bigint[])
        with ordinality as c(update_id, chat_id, form_user_id, pos)
    ),
    locked as (
      select chat_id,
             pg_try_advisory_xact_lock(${CHAT_LOCK_NAMESPACE}, hashtext(chat_id::text)) as held
      from (select distinct chat_id from candidate) as chats
    ),
    flagged as (
      select c.update_id, c.pos,
             not l.held
             or bool_or(f.chat_id is not null) over (partition by c.chat_id order by c.pos)
               as diverted
      from candidate c
      join locked l on l.chat_id = c.chat_id
      left join conversations f on f.chat_id = c.chat_id and f.user_id = c.form_user_id
    ),
    claimed as (
      insert into processed_updates (update_id, processed_at)
      select update_id, ${now} from flagged where not diverted
      on conflict (update_id) do nothing
      returning update_id
    )
    select f.update_id, f.diverted,
           exists (select 1 from claimed k where k.update_id = f.update_id) as fresh
    from flagged f order by f.pos
  `;
}

/** The standing of each person, by id, after their profiles are written. */
export type Standings = Map<number, Standing>;

/**
 * Writes profiles seen in group updates (never a private start: chatter is group-only) and
 * returns every one's standing. An unchanged profile (same keyed hash) is not rewritten.
 */
export async function upsertProfiles(
  db: Db,
  vault: Vault,
  profiles: readonly TelegramProfile[],
  now: Date,
): Promise<Standings> {
  if (profiles.length === 0) return new Map();
  const sealed = (id: number, field: string, value: string | null) =>
    hex(value === null ? null : vault.seal(value, `users:${id}:${field}`));
  const rows = await db<Array<Standing & { id: number }>>`
    with input as (
      select * from unnest(
        ${profiles.map((p) => p.id)}::bigint[],
        ${profiles.map((p) => sealed(p.id, "first_name", p.firstName))}::text[],
        ${profiles.map((p) => sealed(p.id, "last_name", p.lastName)) as string[]}::text[],
        ${profiles.map((p) => sealed(p.id, "username", p.username)) as string[]}::text[],
        ${profiles.map((p) => hex(p.username === null ? null : usernameHash(vault, p.username))) as string[]}::text[],
        ${profiles.map((p) => hex(vault.fingerprint("profile", JSON.stringify(p))))}::text[],
        ${profiles.map((p) => p.languageCode) as string[]}::text[]
      ) as i(id, first_name, last_name, username, username_hash, profile_hash, language_code)
    ),
    written as (
      insert into users (id, first_name, last_name, username, username_hash, profile_hash,
                         language_code, updated_at)
      select id, decode(first_name, 'hex'), decode(last_name, 'hex'), decode(username, 'hex'),
             decode(username_hash, 'hex'), decode(profile_hash, 'hex'), language_code, ${now}
      from input
      on conflict (id) do update set
        ${profileFromExcluded(db)},
        updated_at = excluded.updated_at
      where users.profile_hash is distinct from excluded.profile_hash
      returning id, timezone, consent_version, consent_prompted_version
    )
    select id, timezone, consent_version, consent_prompted_version from written
    union all
    select id, timezone, consent_version, consent_prompted_version from users
    where id in (select id from input) and id not in (select id from written)
  `;
  return new Map(
    rows.map((row) => [
      row.id,
      {
        timezone: row.timezone,
        consentVersion: row.consentVersion,
        consentPromptedVersion: row.consentPromptedVersion,
      },
    ]),
  );
}

/** Groups and their current titles; an unchanged title writes nothing. */
export async function upsertTeams(
  db: Db,
  teams: ReadonlyArray<{ id: number; title: string }>,
  now: Date,
): Promise<void> {
  if (teams.length === 0) return;
  await db`
    insert into teams (id, title, updated_at)
    select id, title, ${now}
    from unnest(${teams.map((t) => t.id)}::bigint[], ${teams.map((t) => t.title)}::text[])
      as t(id, title)
    on conflict (id) do update set title = excluded.title, updated_at = excluded.updated_at
    where teams.title is distinct from excluded.title
  `;
}

export interface MembershipPair {
  teamId: number;
  userId: number;
}

/** Who left groups; runs before addMembers, so leaving and coming back starts a new stay. */
export async function removeMembers(db: Db, pairs: readonly MembershipPair[]): Promise<void> {
  if (pairs.length === 0) return;
  await db`
    delete from team_members m
    using unnest(${pairs.map((p) => p.teamId)}::bigint[], ${pairs.map((p) => p.userId)}::bigint[])
      as p(team_id, user_id)
    where m.team_id = p.team_id and m.user_id = p.user_id
  `;
}

export async function addMembers(
  db: Db,
  pairs: readonly MembershipPair[],
  now: Date,
): Promise<void> {
  if (pairs.length === 0) return;
  await db`
    insert into team_members (team_id, user_id, joined_at)
    select team_id, user_id, ${now}
    from unnest(${pairs.map((p) => p.teamId)}::bigint[], ${pairs.map((p) => p.userId)}::bigint[])
      as p(team_id, user_id)
    on conflict do nothing
  `;
}

/** A group message or edit to keep, at most one per (chat, message) in a batch. */
export interface ChatterMessage {
  chatId: number;
  messageId: number;
  teamId: number;
  authorId: number;
  /** Null: not sealed, because its author does not consent (only an edit's removal is due). */
  text: string | null;
  /** Unix seconds, as Telegram dates messages. */
  date: number;
  replyToMessageId: number | null;
  editedAt: number | null;
}

/**
 * Stores the messages whose authors consent to `policyVersion` right now, and removes the
 * stored copy of an edit whose author no longer does: the same rules as storeMessage, for a
 * whole batch in one statement, with the consent read in the statement that writes.
 */
export async function storeMessages(
  db: Db,
  vault: Vault,
  messages: readonly ChatterMessage[],
  policyVersion: number,
): Promise<void> {
  if (messages.length === 0) return;
  const sealed = messages.map((m) =>
    hex(m.text === null ? null : vault.seal(m.text, messageIdentity(m.chatId, m.messageId))),
  );
  await db`
    with input as (
      select * from unnest(
        ${messages.map((m) => m.chatId)}::bigint[],
        ${messages.map((m) => m.messageId)}::bigint[],
        ${messages.map((m) => m.teamId)}::bigint[],
        ${messages.map((m) => m.authorId)}::bigint[],
        ${sealed as string[]}::text[],
        ${messages.map((m) => m.date)}::bigint[],
        ${messages.map((m) => m.replyToMessageId) as number[]}::bigint[],
        ${messages.map((m) => m.editedAt) as number[]}::bigint[]
      ) as i(chat_id, message_id, team_id, author_id, text, date, reply_to_message_id, edited_at)
    ),
    judged as (
      select i.*, u.id is not null as consenting
      from input i
      left join users u on u.id = i.author_id and u.consent_version = ${policyVersion}
    ),
    written as (
      insert into messages (chat_id, message_id, team_id, author_id, text, date,
                            reply_to_message_id, edited_at)
      select chat_id, message_id, team_id, author_id, decode(text, 'hex'), to_timestamp(date),
             reply_to_message_id, to_timestamp(edited_at)
      from judged where consenting and text is not null
      on conflict (chat_id, message_id) do update
        set text = excluded.text, edited_at = excluded.edited_at
        where messages.author_id = excluded.author_id
      returning 1
    )
    delete from messages m
    using judged j
    where not j.consenting and j.edited_at is not null
      and m.chat_id = j.chat_id and m.message_id = j.message_id and m.author_id = j.author_id
  `;
}
