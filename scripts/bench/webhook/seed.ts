import type { Sql } from "postgres";
import { mulberry32, pick } from "./random.ts";

const CHATS = 100;
const USERS = 1000;
const TASKS_PER_CHAT = 20;

export interface SeedUser {
  id: number;
  firstName: string;
  username: string;
  chats: SeedChat[];
}

export interface SeedChat {
  id: number;
  title: string;
  members: SeedUser[];
  taskIds: number[];
  /** The message id of each task's card in the chat, once postCards() has posted them. */
  cardOf: Map<number, number>;
}

export interface Seed {
  users: SeedUser[];
  chats: SeedChat[];
  startedUsers: number;
  memberships: number;
  taskCount: number;
}

/**
 * 100 teams, 1,000 users in 1-3 of them, 20 open tasks per team made and assigned by its
 * members; every second user has started the bot, so changes reach them in private.
 */
export async function seedDatabase(sql: Sql): Promise<Seed> {
  const random = mulberry32(20_240_601);
  const seededAt = new Date();
  const chats: SeedChat[] = Array.from({ length: CHATS }, (_, i) => ({
    id: -1_001_000_000_001 - i,
    title: `Team ${i + 1}`,
    members: [],
    taskIds: [],
    cardOf: new Map(),
  }));
  const users: SeedUser[] = Array.from({ length: USERS }, (_, i) => ({
    id: 700_000_001 + i,
    firstName: `User${i + 1}`,
    username: `bench_user_${i + 1}`,
    chats: [],
  }));
  users.forEach((user, i) => {
    // Round-robin first so every team has members, then 0-2 more teams at random.
    const wanted = 1 + Math.floor(random() * 3);
    const first = chats[i % CHATS];
    if (first) enrol(user, first);
    while (user.chats.length < wanted) {
      const chat = pick(chats, random);
      if (!user.chats.includes(chat)) enrol(user, chat);
    }
  });
  function enrol(user: SeedUser, chat: SeedChat) {
    user.chats.push(chat);
    chat.members.push(user);
  }

  const userRows = users.map((u, i) => ({
    id: u.id,
    firstName: u.firstName,
    username: u.username,
    languageCode: "en",
    startedAt: i % 2 === 0 ? seededAt : null,
  }));
  for (const rows of chunks(userRows)) {
    // Names are sealed with the service's own (per-run) keys, so the service writes them
    // from each user's first update; seeded rows carry none.
    await sql`insert into users ${sql(rows, "id", "languageCode", "startedAt")}`;
  }
  await sql`insert into teams ${sql(
    chats.map((c) => ({ id: c.id, title: c.title })),
    "id",
    "title",
  )}`;
  const memberRows = chats.flatMap((c) => c.members.map((m) => ({ teamId: c.id, userId: m.id })));
  for (const rows of chunks(memberRows)) {
    await sql`insert into team_members ${sql(rows, "teamId", "userId")}`;
  }
  const taskRows = chats.flatMap((c) =>
    Array.from({ length: TASKS_PER_CHAT }, (_, n) => ({
      teamId: c.id,
      // Plain, as an older version stored them: the service seals them at start.
      legacyTitle: `Task ${n + 1} of ${c.title}`,
      creatorId: pick(c.members, random).id,
      assigneeId: pick(c.members, random).id,
    })),
  );
  for (const rows of chunks(taskRows)) {
    const inserted = await sql<{ id: number; teamId: number }[]>`
      insert into tasks ${sql(rows, "teamId", "legacyTitle", "creatorId", "assigneeId")}
      returning id, team_id
    `;
    for (const row of inserted) chats.find((c) => c.id === row.teamId)?.taskIds.push(row.id);
  }
  return {
    users,
    chats,
    startedUsers: userRows.filter((u) => u.startedAt !== null).length,
    memberships: memberRows.length,
    taskCount: taskRows.length,
  };
}

/**
 * Posts each task's card through the Bot API before the load starts, as the service did when
 * the task was made: the buttons the traffic presses sit on messages Telegram knows, so an
 * edit of a card is an edit Telegram would accept ("message to edit not found" otherwise).
 */
export async function postCards(seed: Seed, apiRoot: string, token: string): Promise<void> {
  for (const chat of seed.chats) {
    for (const taskId of chat.taskIds) {
      const response = await fetch(`${apiRoot}/bot${token}/sendMessage`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ chat_id: chat.id, text: `Task #${taskId}` }),
      });
      const body = (await response.json()) as { ok: boolean; result?: { message_id: number } };
      if (!body.ok || !body.result) throw new Error(`the fake Bot API refused card #${taskId}`);
      chat.cardOf.set(taskId, body.result.message_id);
    }
  }
}

/** Bulk inserts in chunks: postgres allows 65,534 parameters per statement. */
function chunks<T>(rows: readonly T[], size = 1000): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}
