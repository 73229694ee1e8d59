import type { Db } from "./client.ts";

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

/** A user we may write to in private: they started the bot and have not blocked it. */
export function canMessage(user: Pick<User, "startedAt" | "blockedAt">): boolean {
  return user.startedAt !== null && user.blockedAt === null;
}

/**
 * Records who wrote to us and returns their timezone, in one round trip. `wrotePrivately`
 * marks that they started the bot (so we may message them) and lifts a block: writing to
 * the bot is how a user unblocks it. Unchanged rows are not rewritten.
 */
export async function upsertUser(
  db: Db,
  profile: TelegramProfile,
  wrotePrivately: boolean,
  now: Date,
): Promise<{ timezone: string }> {
  const startedAt = wrotePrivately ? now : null;
  const [row] = await db<{ timezone: string }[]>`
    with written as (
      insert into users (id, first_name, last_name, username, language_code, started_at, updated_at)
      values (${profile.id}, ${profile.firstName}, ${profile.lastName}, ${profile.username},
              ${profile.languageCode}, ${startedAt}, ${now})
      on conflict (id) do update set
        first_name = excluded.first_name,
        last_name = excluded.last_name,
        username = excluded.username,
        language_code = excluded.language_code,
        started_at = coalesce(users.started_at, excluded.started_at),
        blocked_at = case when ${wrotePrivately} then null else users.blocked_at end,
        updated_at = excluded.updated_at
      where (users.first_name, users.last_name, users.username, users.language_code)
            is distinct from
            (excluded.first_name, excluded.last_name, excluded.username, excluded.language_code)
         or (${wrotePrivately} and (users.started_at is null or users.blocked_at is not null))
      returning timezone
    )
    select timezone from written
    union all
    select timezone from users where id = ${profile.id} and not exists (select 1 from written)
  `;
  return { timezone: row?.timezone ?? "UTC" };
}

export async function getUser(db: Db, id: number): Promise<User | null> {
  const [user] = await db<User[]>`
    select id, first_name, last_name, username, language_code, timezone, started_at, blocked_at
    from users where id = ${id}
  `;
  return user ?? null;
}

export async function getUsers(db: Db, ids: readonly number[]): Promise<User[]> {
  if (ids.length === 0) return [];
  return db<User[]>`
    select id, first_name, last_name, username, language_code, timezone, started_at, blocked_at
    from users where id = any(${ids as number[]})
  `;
}

export async function findUserByUsername(db: Db, username: string): Promise<User | null> {
  const [user] = await db<User[]>`
    select id, first_name, last_name, username, language_code, timezone, started_at, blocked_at
    from users where lower(username) = lower(${username})
    limit 1
  `;
  return user ?? null;
}

export async function markBlocked(db: Db, id: number, now: Date): Promise<void> {
  await db`update users set blocked_at = ${now} where id = ${id} and blocked_at is null`;
}
