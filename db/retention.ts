import type { Fragment, Sql } from "postgres";
import type { Db } from "./client.ts";

/**
 * How long stored group messages live. The global period is a setting admins change (its
 * default comes from the environment); a team may have its own period, which wins. Both
 * are clamped to the bounds when read, so tightening the bounds applies to values set
 * before.
 */
export interface RetentionRules {
  defaultDays: number;
  minDays: number;
  maxDays: number;
}

const GLOBAL_DAYS = "retention.days";
const LAST_PURGE = "purge.last";

/** The global period in SQL: the admins' setting, or the default, within the bounds. */
function globalDaysSql(db: Db, rules: RetentionRules): Fragment {
  return db`greatest(${rules.minDays}::int, least(${rules.maxDays}::int, coalesce(
    (select (value #>> '{}')::int from settings where name = ${GLOBAL_DAYS}),
    ${rules.defaultDays}::int)))`;
}

/** A team's period in SQL, given the SQL of its override column. */
export function teamDaysSql(db: Db, rules: RetentionRules, override: Fragment): Fragment {
  return db`greatest(${rules.minDays}::int, least(${rules.maxDays}::int,
    coalesce(${override}, ${globalDaysSql(db, rules)})))`;
}

/** SQL: the message `m` (joined with its team `t`) is within its period at `now`. */
export function keptSql(db: Db, rules: RetentionRules, now: Date): Fragment {
  return db`m.date >= ${now}::timestamptz - make_interval(days => ${teamDaysSql(db, rules, db`t.retention_days`)})`;
}

export async function globalDays(db: Db, rules: RetentionRules): Promise<number> {
  return (await globalPeriod(db, rules)).days;
}

export interface Period {
  /** What applies: the setting within the bounds. */
  days: number;
  /** As set by an admin; null: the default (global) or the global period (team). */
  setDays: number | null;
}

export async function globalPeriod(db: Db, rules: RetentionRules): Promise<Period> {
  const [row] = await db<Period[]>`
    select ${globalDaysSql(db, rules)} as days,
           (select (value #>> '{}')::int from settings where name = ${GLOBAL_DAYS}) as set_days
  `;
  return row ?? { days: rules.defaultDays, setDays: null };
}

/** The period that applies to a team's messages; null for a team the bot does not know. */
export async function teamPeriod(
  db: Db,
  rules: RetentionRules,
  teamId: number,
): Promise<(Period & { title: string }) | null> {
  const [row] = await db<(Period & { title: string })[]>`
    select ${teamDaysSql(db, rules, db`t.retention_days`)} as days,
           t.retention_days as set_days, t.title
    from teams t where t.id = ${teamId}
  `;
  return row ?? null;
}

/** Sets the global period, or (with null) returns it to the default. */
export async function setGlobalDays(db: Db, days: number | null, now: Date): Promise<void> {
  if (days === null) {
    await db`delete from settings where name = ${GLOBAL_DAYS}`;
    return;
  }
  await db`
    insert into settings (name, value, updated_at) values (${GLOBAL_DAYS}, ${days}, ${now})
    on conflict (name) do update set value = excluded.value, updated_at = excluded.updated_at
  `;
}

/** Sets or (with null) removes a team's own period; false when the team is unknown. */
export async function setTeamDays(
  db: Db,
  teamId: number,
  days: number | null,
  now: Date,
): Promise<boolean> {
  const result = await db`
    update teams set retention_days = ${days}, updated_at = ${now} where id = ${teamId}
  `;
  return result.count > 0;
}

export interface TeamPeriod {
  teamId: number;
  title: string;
  /** The team's own setting, as stored. */
  setDays: number;
  /** What applies: the setting within the bounds. */
  days: number;
}

export async function teamPeriods(db: Db, rules: RetentionRules): Promise<TeamPeriod[]> {
  return db<TeamPeriod[]>`
    select t.id as team_id, t.title, t.retention_days as set_days,
           ${teamDaysSql(db, rules, db`t.retention_days`)} as days
    from teams t where t.retention_days is not null order by t.id
  `;
}

/** Teams whose messages follow the global period: the chats to tell when it changes. */
export async function teamsOnGlobalPeriod(db: Db): Promise<number[]> {
  const rows = await db<{ id: number }[]>`
    select id from teams where retention_days is null order by id
  `;
  return rows.map((row) => row.id);
}

/** A change an admin is about to make, to count what it would delete. */
export type RetentionChange =
  | { scope: "global"; days: number | null }
  | { scope: "team"; teamId: number; days: number | null };

export interface MessageCounts {
  stored: number;
  expired: number;
}

/**
 * Stored messages, and how many are past their period at `now`: under the current policy,
 * or under `change` had it been made.
 */
export async function countMessages(
  db: Db,
  rules: RetentionRules,
  now: Date,
  options: { change?: RetentionChange; teamId?: number } = {},
): Promise<MessageCounts> {
  const { change } = options;
  const global =
    change?.scope === "global"
      ? db`${change.days ?? rules.defaultDays}::int`
      : db`(select (value #>> '{}')::int from settings where name = ${GLOBAL_DAYS})`;
  const override =
    change?.scope === "team"
      ? db`case when t.id = ${change.teamId} then ${change.days}::int else t.retention_days end`
      : db`t.retention_days`;
  const team = options.teamId === undefined ? db`` : db`where m.team_id = ${options.teamId}`;
  const [row] = await db<MessageCounts[]>`
    select count(*)::int as stored,
           count(*) filter (where m.date < ${now}::timestamptz - make_interval(days =>
             greatest(${rules.minDays}::int, least(${rules.maxDays}::int,
               coalesce(${override}, ${global}, ${rules.defaultDays}::int)))))::int as expired
    from messages m join teams t on t.id = m.team_id
    ${team}
  `;
  return row ?? { stored: 0, expired: 0 };
}

export interface Batch {
  deleted: number;
  /** The newest date the batch covered; null when it reached the end of the expired set. */
  reached: Date | null;
}

/**
 * One batch: finds the date of the `limit`-th oldest row that `where` picks after `after`,
 * then deletes every row it picks up to that date, or to the end when fewer are left. Both
 * run on a date index; the delete is a plain range, as cheap per row as deleting the whole
 * set at once, and reports its count without returning rows. Rows sharing the boundary's
 * date all go in the same batch, so a batch may exceed `limit` by those few.
 */
async function deleteBatch(db: Db, where: Fragment, after: Date, limit: number): Promise<Batch> {
  const [bound] = await db<{ date: Date }[]>`
    select m.date from messages m where m.date > ${after} and ${where}
    order by m.date offset ${limit - 1} limit 1
  `;
  const upTo = bound ? db`and m.date <= ${bound.date}` : db``;
  const result = await db`
    delete from messages m where m.date > ${after} ${upTo} and ${where}
  `;
  return { deleted: result.count, reached: bound?.date ?? null };
}

/**
 * Deletes a batch of one team's expired messages, oldest first, for a team with its own
 * period, on the (team_id, date) index.
 */
export function purgeTeamBatch(
  db: Db,
  rules: RetentionRules,
  teamId: number,
  after: Date,
  now: Date,
  limit: number,
): Promise<Batch> {
  const days = teamDaysSql(
    db,
    rules,
    db`(select retention_days from teams where id = ${teamId} and retention_days is not null)`,
  );
  const where = db`m.team_id = ${teamId}
    and exists (select 1 from teams where id = ${teamId} and retention_days is not null)
    and m.date < ${now}::timestamptz - make_interval(days => ${days})`;
  return deleteBatch(db, where, after, limit);
}

/**
 * Deletes a batch of the expired messages of teams on the global period, oldest first, on
 * the date index. Everything up to the batch's boundary is done, so the next batch starts
 * after it instead of scanning again past what teams with longer periods keep.
 */
export function purgeGlobalBatch(
  db: Db,
  rules: RetentionRules,
  after: Date,
  now: Date,
  limit: number,
): Promise<Batch> {
  const where = db`m.date < ${now}::timestamptz - make_interval(days => ${globalDaysSql(db, rules)})
    and m.team_id <> all(array(select id from teams where retention_days is not null))`;
  return deleteBatch(db, where, after, limit);
}

/** Teams with their own period: the purge visits each. */
export async function teamsWithOwnPeriod(db: Db): Promise<number[]> {
  const rows = await db<{ id: number }[]>`
    select id from teams where retention_days is not null order by id
  `;
  return rows.map((row) => row.id);
}

/**
 * Tasks keep their content when their source message expires but lose the link to it;
 * `source_date` stays so the card can say the message expired.
 */
export async function unlinkExpiredSources(
  db: Db,
  rules: RetentionRules,
  now: Date,
): Promise<number> {
  const result = await db`
    update tasks k set source_chat_id = null, source_message_id = null
    where k.source_message_id is not null
      and k.source_date < ${now}::timestamptz - make_interval(days =>
        ${teamDaysSql(db, rules, db`(select retention_days from teams where id = k.team_id)`)})
  `;
  return result.count;
}

export async function forgetAuditBefore(db: Db, cutoff: Date): Promise<number> {
  const result = await db`delete from audit_log where at < ${cutoff}`;
  return result.count;
}

export interface PurgeRecord {
  at: Date;
  trigger: "schedule" | "admin";
  counts: Record<string, number>;
}

export async function recordPurge(db: Db, record: PurgeRecord): Promise<void> {
  await db`
    insert into settings (name, value, updated_at)
    values (${LAST_PURGE}, ${db.json(record as never)}, ${record.at})
    on conflict (name) do update set value = excluded.value, updated_at = excluded.updated_at
  `;
}

export async function lastPurge(db: Db): Promise<PurgeRecord | null> {
  const [row] = await db<
    { value: { at: string; trigger: PurgeRecord["trigger"]; counts: Record<string, number> } }[]
  >`
    select value from settings where name = ${LAST_PURGE}
  `;
  if (!row) return null;
  return { ...row.value, at: new Date(row.value.at) };
}

/** One key for the whole service: the purge runs on one instance at a time. */
const PURGE_LOCK = 7_310_042_001;

/**
 * Runs `work` on a connection of its own, only if no other session holds the purge lock;
 * `{ ran: false }` when one does. The lock is a session lock, so it outlives the purge's
 * many short transactions and goes away with the connection if the process dies.
 *
 * The connection's commits do not wait for the disk: after a crash the last batches may
 * come back, still expired and so still hidden, and the next run deletes them again.
 * Nothing is lost, and the purge does not queue behind an fsync per batch.
 */
export async function whileHoldingPurgeLock<T>(
  sql: Sql,
  work: (connection: Db) => Promise<T>,
): Promise<{ ran: true; result: T } | { ran: false }> {
  const holder = await sql.reserve();
  try {
    const [row] = await holder<{ locked: boolean }[]>`
      select pg_try_advisory_lock(${PURGE_LOCK}::bigint) as locked
    `;
    if (!row?.locked) return { ran: false };
    try {
      await holder`set synchronous_commit = off`;
      return { ran: true, result: await work(holder) };
    } finally {
      await holder`reset synchronous_commit`;
      await holder`select pg_advisory_unlock(${PURGE_LOCK}::bigint)`;
    }
  } finally {
    holder.release();
  }
}
