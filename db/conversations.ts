import type { Db } from "./client.ts";

export interface ConversationKey {
  chatId: number;
  userId: number;
}

export async function readConversation(db: Db, key: ConversationKey): Promise<unknown> {
  const [row] = await db<{ state: unknown }[]>`
    select state from conversations where chat_id = ${key.chatId} and user_id = ${key.userId}
  `;
  return row?.state;
}

export async function writeConversation(
  db: Db,
  key: ConversationKey,
  state: unknown,
  now: Date,
): Promise<void> {
  await db`
    insert into conversations (chat_id, user_id, state, updated_at)
    values (${key.chatId}, ${key.userId}, ${db.json(state as Parameters<Db["json"]>[0])}, ${now})
    on conflict (chat_id, user_id) do update set state = excluded.state, updated_at = excluded.updated_at
  `;
}

export async function deleteConversation(db: Db, key: ConversationKey): Promise<void> {
  await db`delete from conversations where chat_id = ${key.chatId} and user_id = ${key.userId}`;
}

export async function forgetConversationsBefore(db: Db, cutoff: Date): Promise<number> {
  const result = await db`delete from conversations where updated_at < ${cutoff}`;
  return result.count;
}
