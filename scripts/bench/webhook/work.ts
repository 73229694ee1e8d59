import type { Sql } from "postgres";

/** What the database holds: how much work the app really did. */

export interface Work {
  processedUpdates: number;
  tasksDone: number;
  tasksChanged: number;
  memberships: number;
  users: number;
  teams: number;
  conversations: number;
}

export async function countWork(sql: Sql): Promise<Work> {
  const [row] = await sql<Work[]>`
    select
      (select count(*)::int from processed_updates) as processed_updates,
      (select count(*)::int from tasks where status = 'done') as tasks_done,
      (select count(*)::int from tasks where updated_at > created_at) as tasks_changed,
      (select count(*)::int from team_members) as memberships,
      (select count(*)::int from users) as users,
      (select count(*)::int from teams) as teams,
      (select count(*)::int from conversations) as conversations
  `;
  if (!row) throw new Error("count query returned nothing");
  return row;
}
