import type { Sql } from "postgres";
import type { Db } from "./client.ts";
import { listenTo } from "./listen.ts";
import { openTaskText } from "./task-texts.ts";
import { openName } from "./users.ts";
import type { Vault } from "./vault.ts";

export interface Digest {
  chatId: number;
  kind: "team" | "personal";
  atMinute: number;
  timezone: string;
  mention: boolean;
}

export async function setDigest(db: Db, digest: Digest): Promise<void> {
  await db`
    insert into digests (chat_id, kind, at_minute, timezone, mention)
    values (${digest.chatId}, ${digest.kind}, ${digest.atMinute}, ${digest.timezone}, ${digest.mention})
    on conflict (chat_id, kind) do update
      set at_minute = excluded.at_minute, timezone = excluded.timezone, mention = excluded.mention
  `;
}

export async function removeDigest(db: Db, chatId: number, kind: Digest["kind"]): Promise<boolean> {
  const result = await db`delete from digests where chat_id = ${chatId} and kind = ${kind}`;
  return result.count > 0;
}

/**
 * Locks the digests whose time has come today in their own timezone and that have not been
 * sent today; other instances skip them. A group the bot was removed from gets none.
 */
export async function claimDueDigests(
  db: Db,
  now: Date,
): Promise<Array<Digest & { localDate: string }>> {
  return db<Array<Digest & { localDate: string }>>`
    select chat_id, kind, at_minute, timezone, mention,
           to_char((${now}::timestamptz at time zone timezone)::date, 'YYYY-MM-DD') as local_date
    from digests
    where (extract(hour from ${now}::timestamptz at time zone timezone) * 60
           + extract(minute from ${now}::timestamptz at time zone timezone)) >= at_minute
      and (last_sent_on is null
           or last_sent_on < (${now}::timestamptz at time zone timezone)::date)
      and not (kind = 'team' and exists (
        select 1 from teams where teams.id = digests.chat_id and teams.bot_removed_at is not null))
    for update skip locked
  `;
}

/**
 * When the earliest digest is due: `now` for one claimDueDigests would take now, else the
 * next local time of day one is set to (today's when not sent yet, else tomorrow's) in its
 * zone; null when there is none. Where that local time falls in an hour a clock change
 * skips or repeats, PostgreSQL places it at standard time, which can be later than the
 * moment claimDueDigests takes it; the caller looks again at least every minute.
 */
export async function nextDigestDue(db: Db, now: Date): Promise<Date | null> {
  const [row] = await db<{ dueAt: Date | null }[]>`
    with d as (
      select timezone, at_minute, last_sent_on,
             (${now}::timestamptz at time zone timezone) as local_now
      from digests
      where not (kind = 'team' and exists (
        select 1 from teams where teams.id = digests.chat_id and teams.bot_removed_at is not null))
    ), wanted as (
      select timezone, local_now,
             case when last_sent_on is null or last_sent_on < local_now::date
                  then local_now::date else local_now::date + 1 end
             + make_interval(mins => at_minute) as local_due
      from d
    )
    select min(case when local_due <= local_now then ${now}::timestamptz
                    else local_due at time zone timezone end) as due_at
    from wanted
  `;
  return row?.dueAt ?? null;
}

/** Calls `onMoved` whenever a committed change may bring a digest earlier, on any instance, and on (re)connecting. */
export function listenForMovedDigests(sql: Sql, onMoved: () => void): Promise<() => Promise<void>> {
  return listenTo(sql, "digests_due", onMoved);
}

export async function markDigestSent(db: Db, digest: Digest, localDate: string): Promise<void> {
  await db`
    update digests set last_sent_on = ${localDate}::date
    where chat_id = ${digest.chatId} and kind = ${digest.kind}
  `;
}

export interface DigestTask {
  id: number;
  title: string;
  assigneeId: number | null;
  assigneeName: string | null;
  dueAt: Date | null;
  /** False for a due day without a time of day (its moment is the day's start). */
  dueHasTime: boolean;
  doneAt: Date | null;
  status: "open" | "done";
}

/**
 * The tasks a digest speaks of: open ones due before `dayEnd` (today's and overdue) and
 * those completed since `since`; a team's, or those assigned to a person.
 */
export async function digestTasks(
  db: Db,
  vault: Vault,
  scope: { teamId: number } | { assigneeId: number },
  window: { dayEnd: Date; since: Date },
): Promise<DigestTask[]> {
  const where =
    "teamId" in scope ? db`t.team_id = ${scope.teamId}` : db`t.assignee_id = ${scope.assigneeId}`;
  const rows = await db<
    (Omit<DigestTask, "assigneeName" | "title"> & { title: Buffer; firstName: Buffer | null })[]
  >`
    select t.id, t.title, t.assignee_id, t.due_at, t.due_has_time, t.done_at, t.status,
           u.first_name
    from tasks t left join users u on u.id = t.assignee_id
    where ${where}
      and ((t.status = 'open' and t.due_at < ${window.dayEnd})
           or (t.status = 'done' and t.done_at >= ${window.since}))
    order by t.due_at nulls last, t.id
  `;
  return rows.map(({ firstName, title, ...task }) => {
    return {
      ...task,
      title: openTaskText(vault, task.id, "title", title),
      assigneeName:
        task.assigneeId === null ? null : openName(vault, task.assigneeId, "first_name", firstName),
    };
  });
}
