import type { Sql } from "postgres";
import type { PurgeDeps } from "#bot/retention/core/purge";
import type { RetentionSettings } from "#bot/retention/core/types";
import type { FakeClock } from "./clock.ts";
import { captureLogs } from "./logs.ts";

export const DAY = 24 * 60 * 60 * 1000;

export const TEST_RETENTION: RetentionSettings = {
  rules: { defaultDays: 90, minDays: 1, maxDays: 3650 },
  batchSize: 3,
  auditRetentionDays: 365,
  purgeIntervalMinutes: 60,
};

/** Purge dependencies on the test database, with no pause between batches. */
export function purgeDeps(sql: Sql, clock: FakeClock, retention = TEST_RETENTION): PurgeDeps {
  return { sql, clock, log: captureLogs().log, retention, pause: async () => {} };
}

let nextMessageId = 1;

/**
 * Stored messages written straight into the table, one per age (days before `now`), for
 * tests of what is kept and purged; the text is not readable, which the purge never needs.
 * Returns their ids in the order given.
 */
export async function storeMessagesAged(
  sql: Sql,
  team: { id: number; title?: string },
  authorId: number,
  now: Date,
  ages: number[],
): Promise<number[]> {
  await sql`insert into users (id) values (${authorId}) on conflict do nothing`;
  await sql`
    insert into teams (id, title) values (${team.id}, ${team.title ?? `Team ${team.id}`})
    on conflict do nothing
  `;
  const dates = ages.map((days) => new Date(now.getTime() - days * DAY).toISOString());
  const messageIds = ages.map(() => nextMessageId++);
  const rows = await sql<{ id: number }[]>`
    insert into messages (chat_id, message_id, team_id, author_id, text, date)
    select ${team.id}, message_id, ${team.id}, ${authorId}, '\\x00'::bytea, date
    from unnest(${messageIds}::bigint[], ${dates}::timestamptz[]) as m(message_id, date)
    order by message_id
    returning id
  `;
  return rows.map((row) => row.id);
}

export async function storedMessageIds(sql: Sql): Promise<number[]> {
  const rows = await sql<{ id: number }[]>`select id from messages order by id`;
  return rows.map((row) => row.id);
}
