import type { Db } from "./client.ts";
import type { Vault } from "./vault.ts";

export interface ConversationKey {
  chatId: number;
  userId: number;
}

const sealedAs = (key: ConversationKey) => `conversations:${key.chatId}:${key.userId}:state`;

/** Form state holds the answers and the updates that gave them, so it is sealed. */
export async function readConversation(
  db: Db,
  vault: Vault,
  key: ConversationKey,
): Promise<unknown> {
  const [row] = await db<{ state: Buffer }[]>`
    select state from conversations where chat_id = ${key.chatId} and user_id = ${key.userId}
  `;
  return row ? JSON.parse(vault.open(row.state, sealedAs(key))) : undefined;
}

export async function writeConversation(
  db: Db,
  vault: Vault,
  key: ConversationKey,
  state: unknown,
  now: Date,
): Promise<void> {
  const sealed = vault.seal(JSON.stringify(state), sealedAs(key));
  await db`
    insert into conversations (chat_id, user_id, state, updated_at)
    values (${key.chatId}, ${key.userId}, ${sealed}, ${now})
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

/** A person's forms in progress, opened, for their export. */
export async function conversationsOf(
  db: Db,
  vault: Vault,
  userId: number,
): Promise<{ chatId: number; updatedAt: Date; state: unknown }[]> {
  const rows = await db<{ chatId: number; state: Buffer; updatedAt: Date }[]>`
    select chat_id, state, updated_at from conversations where user_id = ${userId}
    order by updated_at, chat_id
  `;
  return rows.map((row) => ({
    chatId: row.chatId,
    updatedAt: row.updatedAt,
    state: JSON.parse(vault.open(row.state, sealedAs({ chatId: row.chatId, userId }))),
  }));
}
