import type { Db } from "./client.ts";
import type { RepeatRule } from "./repeat.ts";
import { openName } from "./users.ts";
import type { Vault } from "./vault.ts";

/**
 * Reads for a person's data export. Other people appear only by Telegram id. Field names
 * are the export's own (snake_case, stable): the README documents them.
 */

export interface ExportProfile {
  id: number;
  first_name: string | null;
  last_name: string | null;
  username: string | null;
  language_code: string | null;
  timezone: string;
  started_at: Date | null;
  blocked_at: Date | null;
  created_at: Date;
}

/** Claims the person's export slot: at most one export per `interval`. */
export async function claimExportSlot(
  db: Db,
  userId: number,
  now: Date,
  intervalMs: number,
): Promise<{ ok: true; previous: Date | null } | { ok: false; retryAt: Date }> {
  const earliest = new Date(now.getTime() - intervalMs);
  const [claimed] = await db<{ previous: Date | null }[]>`
    update users u set exported_at = ${now}
    from (select exported_at as previous from users where id = ${userId} for update) p
    where u.id = ${userId} and (u.exported_at is null or u.exported_at <= ${earliest})
    returning p.previous
  `;
  if (claimed) return { ok: true, previous: claimed.previous };
  const [row] = await db<{ exportedAt: Date | null }[]>`
    select exported_at from users where id = ${userId}
  `;
  const last = row?.exportedAt ?? now;
  return { ok: false, retryAt: new Date(last.getTime() + intervalMs) };
}

/** Gives the slot back when an export could not be delivered. */
export async function releaseExportSlot(
  db: Db,
  userId: number,
  claimedAt: Date,
  previous: Date | null,
): Promise<void> {
  await db`
    update users set exported_at = ${previous} where id = ${userId} and exported_at = ${claimedAt}
  `;
}

export async function exportProfile(
  db: Db,
  vault: Vault,
  userId: number,
): Promise<ExportProfile | null> {
  const [row] = await db<
    {
      id: number;
      firstName: Buffer | null;
      lastName: Buffer | null;
      username: Buffer | null;
      languageCode: string | null;
      timezone: string;
      startedAt: Date | null;
      blockedAt: Date | null;
      createdAt: Date;
    }[]
  >`
    select id, first_name, last_name, username, language_code, timezone, started_at,
           blocked_at, created_at
    from users where id = ${userId}
  `;
  if (!row) return null;
  return {
    id: row.id,
    first_name: openName(vault, row.id, "first_name", row.firstName),
    last_name: openName(vault, row.id, "last_name", row.lastName),
    username: openName(vault, row.id, "username", row.username),
    language_code: row.languageCode,
    timezone: row.timezone,
    started_at: row.startedAt,
    blocked_at: row.blockedAt,
    created_at: row.createdAt,
  };
}

export async function exportTeams(
  db: Db,
  userId: number,
): Promise<{ id: number; title: string; joined_at: Date }[]> {
  return db`
    select t.id, t.title, m.joined_at as "joinedAt"
    from team_members m join teams t on t.id = m.team_id
    where m.user_id = ${userId} order by m.joined_at, t.id
  `.then((rows) => rows.map((row) => ({ id: row.id, title: row.title, joined_at: row.joinedAt })));
}

export interface ExportTask {
  id: number;
  team_id: number | null;
  title: string;
  description: string | null;
  status: string;
  priority: string;
  creator_id: number | null;
  assignee_id: number | null;
  due_at: Date | null;
  done_at: Date | null;
  created_at: Date;
  updated_at: Date;
  source_chat_id: number | null;
  source_message_id: number | null;
  repeat: RepeatRule | null;
  series_id: number | null;
}

export async function exportTasks(
  db: Db,
  userId: number,
  role: "creator" | "assignee",
): Promise<ExportTask[]> {
  const column = role === "creator" ? db`creator_id` : db`assignee_id`;
  const rows = await db<
    {
      id: number;
      teamId: number | null;
      title: string;
      description: string | null;
      status: string;
      priority: string;
      creatorId: number | null;
      assigneeId: number | null;
      dueAt: Date | null;
      doneAt: Date | null;
      createdAt: Date;
      updatedAt: Date;
      sourceChatId: number | null;
      sourceMessageId: number | null;
      repeat: RepeatRule | null;
      seriesId: number | null;
    }[]
  >`
    select id, team_id, title, description, status, priority, creator_id, assignee_id,
           due_at, done_at, created_at, updated_at, source_chat_id, source_message_id, repeat,
           series_id
    from tasks where ${column} = ${userId} order by id
  `;
  return rows.map((t) => ({
    id: t.id,
    team_id: t.teamId,
    title: t.title,
    description: t.description,
    status: t.status,
    priority: t.priority,
    creator_id: t.creatorId,
    assignee_id: t.assigneeId,
    due_at: t.dueAt,
    done_at: t.doneAt,
    created_at: t.createdAt,
    updated_at: t.updatedAt,
    source_chat_id: t.sourceChatId,
    source_message_id: t.sourceMessageId,
    repeat: t.repeat,
    series_id: t.seriesId,
  }));
}
