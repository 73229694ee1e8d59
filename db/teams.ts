import type { Db } from "./client.ts";

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

export async function addMember(db: Db, teamId: number, userId: number, now: Date): Promise<void> {
  await db`
    insert into team_members (team_id, user_id, joined_at) values (${teamId}, ${userId}, ${now})
    on conflict do nothing
  `;
}

export async function removeMember(db: Db, teamId: number, userId: number): Promise<void> {
  await db`delete from team_members where team_id = ${teamId} and user_id = ${userId}`;
}

export async function isMember(db: Db, teamId: number, userId: number): Promise<boolean> {
  const rows = await db`
    select 1 from team_members where team_id = ${teamId} and user_id = ${userId}
  `;
  return rows.length > 0;
}

/** Members in a stable order (first name, then id) for buttons and pickers. */
export async function listMembers(db: Db, teamId: number, limit = 100): Promise<Member[]> {
  return db<Member[]>`
    select u.id, u.first_name, u.username
    from team_members m join users u on u.id = m.user_id
    where m.team_id = ${teamId}
    order by u.first_name, u.id
    limit ${limit}
  `;
}

export async function findMemberByUsername(
  db: Db,
  teamId: number,
  username: string,
): Promise<Member | null> {
  const [member] = await db<Member[]>`
    select u.id, u.first_name, u.username
    from team_members m join users u on u.id = m.user_id
    where m.team_id = ${teamId} and lower(u.username) = lower(${username})
    limit 1
  `;
  return member ?? null;
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
 * Moves a team to its new chat id (a group upgraded to a supergroup); memberships and
 * tasks follow. The new id may already be known if its first update came first.
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
  await db`delete from teams where id = ${fromId}`;
}
