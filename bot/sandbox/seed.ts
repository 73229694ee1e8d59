import type { Sql } from "postgres";
import { LISTS_CHANNEL } from "#db/task-list-json";
import { addMember, upsertTeam } from "#db/teams";
import { upsertUser } from "#db/users";
import type { Vault } from "#db/vault";
import { SANDBOX_GROUP, SANDBOX_PEOPLE } from "./people.ts";

/** The three people and their group, as if the bot had seen them join: safe to run again. */
export async function seedSandbox(sql: Sql, vault: Vault, now: Date): Promise<void> {
  await sql.begin(async (tx) => {
    await upsertTeam(tx, { id: SANDBOX_GROUP.id, title: SANDBOX_GROUP.title }, now);
    for (const person of SANDBOX_PEOPLE) {
      await upsertUser(
        tx,
        vault,
        {
          id: person.id,
          firstName: person.firstName,
          lastName: null,
          username: person.username,
          languageCode: "en",
        },
        false,
        now,
      );
      await addMember(tx, SANDBOX_GROUP.id, person.id, now);
    }
  });
}

/**
 * Empties every table but the migration ledger. People and memberships go row by row first:
 * their triggers (migration 0009) tell every cache of people to forget them, which a
 * TRUNCATE would not; the rest is truncated.
 */
export async function emptyDatabase(sql: Sql): Promise<void> {
  const tables = (
    await sql<{ tablename: string }[]>`
      select tablename from pg_tables
      where schemaname = 'public'
        and tablename not in ('schema_migrations', 'users', 'team_members')
      order by tablename`
  ).map((row) => row.tablename);
  await sql.begin(async (tx) => {
    await tx`delete from team_members`;
    if (tables.length > 0) await tx`truncate ${tx(tables)} cascade`;
    await tx`delete from users`;
    // Every list the API keeps answers from nothing now.
    await tx`select pg_notify(${LISTS_CHANNEL}, '*')`;
  });
}
