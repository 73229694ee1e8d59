import type { Db } from "./client.ts";
import type { Vault } from "./vault.ts";

export interface TelegramProfile {
  id: number;
  firstName: string;
  lastName: string | null;
  username: string | null;
  languageCode: string | null;
}

export interface User extends TelegramProfile {
  timezone: string;
  startedAt: Date | null;
  blockedAt: Date | null;
}

/** What the pipeline needs to know about whoever sent an update. */
export interface Standing {
  timezone: string;
  /** Policy version of the user's standing consent; null: withdrawn or never given. */
  consentVersion: number | null;
  /** The latest policy version the user was asked to agree to. */
  consentPromptedVersion: number | null;
}

/** A user we may write to in private: they started the bot and have not blocked it. */
export function canMessage(user: Pick<User, "startedAt" | "blockedAt">): boolean {
  return user.startedAt !== null && user.blockedAt === null;
}

/** A person's sealed name fields, as stored; open them with `openName`. */
export interface SealedName {
  id: number;
  firstName: Buffer | null;
  username: Buffer | null;
}

type NameField = "first_name" | "last_name" | "username";

const sealedAs = (userId: number, field: NameField) => `users:${userId}:${field}`;

export function openName(
  vault: Vault,
  userId: number,
  field: NameField,
  sealed: Buffer | null,
): string | null {
  return sealed === null ? null : vault.open(sealed, sealedAs(userId, field));
}

/** The blind index of a username: finds `@Name` and `@name` without decrypting every row. */
export function usernameHash(vault: Vault, username: string): Buffer {
  return vault.fingerprint("username", username.toLowerCase());
}

/** A user row as stored: names sealed. */
export interface SealedUserRow {
  id: number;
  firstName: Buffer | null;
  lastName: Buffer | null;
  username: Buffer | null;
  languageCode: string | null;
  timezone: string;
  startedAt: Date | null;
  blockedAt: Date | null;
}

function openUser(vault: Vault, row: SealedUserRow): User {
  return {
    ...row,
    firstName: openName(vault, row.id, "first_name", row.firstName) ?? "",
    lastName: openName(vault, row.id, "last_name", row.lastName),
    username: openName(vault, row.id, "username", row.username),
  };
}

const userColumns = (db: Db) =>
  db`id, first_name, last_name, username, language_code, timezone, started_at, blocked_at`;

/**
 * Records who wrote to us and returns their standing, in one round trip. `wrotePrivately`
 * marks that they started the bot (so we may message them) and lifts a block: writing to
 * the bot is how a user unblocks it. Names are sealed; an unchanged profile (same keyed
 * hash) is not rewritten.
 */
export async function upsertUser(
  db: Db,
  vault: Vault,
  profile: TelegramProfile,
  wrotePrivately: boolean,
  now: Date,
): Promise<Standing> {
  const startedAt = wrotePrivately ? now : null;
  const { id } = profile;
  const profileHash = vault.fingerprint("profile", JSON.stringify(profile));
  const [row] = await db<Standing[]>`
    with written as (
      insert into users (id, first_name, last_name, username, username_hash, profile_hash,
                         language_code, started_at, updated_at)
      values (${id}, ${vault.seal(profile.firstName, sealedAs(id, "first_name"))},
              ${profile.lastName === null ? null : vault.seal(profile.lastName, sealedAs(id, "last_name"))},
              ${profile.username === null ? null : vault.seal(profile.username, sealedAs(id, "username"))},
              ${profile.username === null ? null : usernameHash(vault, profile.username)},
              ${profileHash}, ${profile.languageCode}, ${startedAt}, ${now})
      on conflict (id) do update set
        ${profileFromExcluded(db)},
        started_at = coalesce(users.started_at, excluded.started_at),
        blocked_at = case when ${wrotePrivately} then null else users.blocked_at end,
        updated_at = excluded.updated_at
      where users.profile_hash is distinct from excluded.profile_hash
         or (${wrotePrivately} and (users.started_at is null or users.blocked_at is not null))
      returning timezone, consent_version, consent_prompted_version
    )
    select timezone, consent_version, consent_prompted_version from written
    union all
    select timezone, consent_version, consent_prompted_version from users
    where id = ${id} and not exists (select 1 from written)
  `;
  return row ?? { timezone: "UTC", consentVersion: null, consentPromptedVersion: null };
}

export async function getUser(db: Db, vault: Vault, id: number): Promise<User | null> {
  const [row] = await db<SealedUserRow[]>`select ${userColumns(db)} from users where id = ${id}`;
  return row ? openUser(vault, row) : null;
}

export async function getUsers(db: Db, vault: Vault, ids: readonly number[]): Promise<User[]> {
  if (ids.length === 0) return [];
  const rows = await db<SealedUserRow[]>`
    select ${userColumns(db)} from users where id = any(${ids as number[]})
  `;
  return rows.map((row) => openUser(vault, row));
}

export async function findUserByUsername(
  db: Db,
  vault: Vault,
  username: string,
): Promise<User | null> {
  const [row] = await db<SealedUserRow[]>`
    select ${userColumns(db)} from users where username_hash = ${usernameHash(vault, username)}
    limit 1
  `;
  return row ? openUser(vault, row) : null;
}

export async function markBlocked(db: Db, id: number, now: Date): Promise<void> {
  await db`update users set blocked_at = ${now} where id = ${id} and blocked_at is null`;
}

/** The user's timezone: UTC until they set one. */
export async function timezoneOf(db: Db, id: number): Promise<string> {
  const [row] = await db<{ timezone: string }[]>`select timezone from users where id = ${id}`;
  return row?.timezone ?? "UTC";
}

/** A person's settings: the time zone their dates are read in, their quiet hours. */
export async function setTimeZone(db: Db, userId: number, timezone: string): Promise<void> {
  await db`update users set timezone = ${timezone} where id = ${userId}`;
}

export async function setQuietHours(
  db: Db,
  userId: number,
  quiet: { start: number; end: number } | null,
): Promise<void> {
  await db`
    update users set quiet_start = ${quiet?.start ?? null}, quiet_end = ${quiet?.end ?? null}
    where id = ${userId}
  `;
}

/**
 * The profile columns an upsert takes from the row it tried to insert: one list for the
 * update's upsert (upsertUser) and the chatter batch's (db/ingest.ts).
 */
export function profileFromExcluded(db: Db) {
  return db`
    first_name = excluded.first_name,
    last_name = excluded.last_name,
    username = excluded.username,
    username_hash = excluded.username_hash,
    profile_hash = excluded.profile_hash,
    language_code = excluded.language_code
  `;
}
