import type { Db } from "./client.ts";
import { openName, type SealedName, usernameHash } from "./users.ts";
import type { Vault } from "./vault.ts";

export interface Team {
  id: number;
  title: string;
}

export interface Member {
  id: number;
  firstName: string;
  username: string | null;
}

export async function upsertTeam(db: Db, team: Team, now: Date): Promise<void> {
  await db`
    insert into teams (id, title, updated_at) values (${team.id}, ${team.title}, ${now})
    on conflict (id) do update set title = excluded.title, updated_at = excluded.updated_at
    where teams.title is distinct from excluded.title
  `;
}

/** The bot was removed from the group (`removedAt`) or is in it again (null). */
export async function setBotRemoved(db: Db, teamId: number, removedAt: Date | null): Promise<void> {
  await db`update teams set bot_removed_at = ${removedAt} where id = ${teamId}`;
}

export async function addMember(db: Db, teamId: number, userId: number, now: Date): Promise<void> {
  await db`
    insert into team_members (team_id, user_id, joined_at) values (${teamId}, ${userId}, ${now})
    on conflict do nothing
  `;
}

export async function removeMember(db: Db, teamId: number, userId: number): Promise<void> {
  await db`delete from team_members where team_id = ${teamId} and user_id = ${userId}`;
}

/** How much a team already holds: its tasks and its stored messages (any age). */
export async function teamHoldings(
  db: Db,
  teamId: number,
): Promise<{ tasks: number; messages: number }> {
  const [row] = await db<{ tasks: number; messages: number }[]>`
    select (select count(*)::int from tasks where team_id = ${teamId}) as tasks,
           (select count(*)::int from messages where team_id = ${teamId}) as messages
  `;
  return row ?? { tasks: 0, messages: 0 };
}

export async function isMember(db: Db, teamId: number, userId: number): Promise<boolean> {
  const rows = await db`
    select 1 from team_members where team_id = ${teamId} and user_id = ${userId}
  `;
  return rows.length > 0;
}

export function openMember(vault: Vault, row: SealedName): Member {
  return {
    id: row.id,
    firstName: openName(vault, row.id, "first_name", row.firstName) ?? "",
    username: openName(vault, row.id, "username", row.username),
  };
}

/**
 * Members in a stable order (first name, then id) for buttons and pickers. Names are sealed,
 * so the first `limit` members who joined are read and sorted here.
 */
export async function listMembers(
  db: Db,
  vault: Vault,
  teamId: number,
  limit = 100,
): Promise<Member[]> {
  const rows = await db<SealedName[]>`
    select u.id, u.first_name, u.username
    from team_members m join users u on u.id = m.user_id
    where m.team_id = ${teamId}
    order by m.joined_at, u.id
    limit ${limit}
  `;
  return rows
    .map((row) => openMember(vault, row))
    .sort((a, b) => a.firstName.localeCompare(b.firstName) || a.id - b.id);
}

export async function findMemberByUsername(
  db: Db,
  vault: Vault,
  teamId: number,
  username: string,
): Promise<Member | null> {
  const [row] = await db<SealedName[]>`
    select u.id, u.first_name, u.username
    from team_members m join users u on u.id = m.user_id
    where m.team_id = ${teamId} and u.username_hash = ${usernameHash(vault, username)}
    limit 1
  `;
  return row ? openMember(vault, row) : null;
}

/** Whether two users share at least one team: the bar for assigning a private task. */
export async function shareATeam(db: Db, userId: number, otherId: number): Promise<boolean> {
  const rows = await db`
    select 1 from team_members a join team_members b on a.team_id = b.team_id
    where a.user_id = ${userId} and b.user_id = ${otherId}
    limit 1
  `;
  return rows.length > 0;
}

/**
 * Moves a team to its new chat id (a group upgraded to a supergroup); memberships, tasks
 * and stored messages follow (messages keep their original chat id: it is sealed into them). The new id may already be known if its first update came first.
 */
export async function moveTeam(db: Db, fromId: number, toId: number): Promise<void> {
  await db`
    insert into teams (id, title, created_at, updated_at)
    select ${toId}, title, created_at, updated_at from teams where id = ${fromId}
    on conflict (id) do nothing
  `;
  await db`
    insert into team_members (team_id, user_id, joined_at)
    select ${toId}, user_id, joined_at from team_members where team_id = ${fromId}
    on conflict do nothing
  `;
  await db`update tasks set team_id = ${toId} where team_id = ${fromId}`;
  await db`update messages set team_id = ${toId} where team_id = ${fromId}`;
  await db`delete from teams where id = ${fromId}`;
}
