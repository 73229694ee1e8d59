import type { Sql } from "postgres";
import type { Db } from "./client.ts";
import { messageIdentity } from "./messages.ts";
import { sealLegacyTaskTexts, type TaskTextField, taskTextIdentity } from "./task-texts.ts";
import { KEY_ID_SQL_POSITION, type Vault } from "./vault.ts";

export interface RotationProgress {
  table: "users" | "messages" | "conversations" | "tasks";
  resealed: number;
  /** Rows of this table still sealed by an older key when the table was started. */
  total: number;
}

/**
 * A table's sealed columns, how to find rows sealed by an older key, and how to re-seal a
 * row. Rows are read and rewritten in keyset order, each batch in its own short
 * transaction with the rows locked, so the service keeps running and a rerun after an
 * interruption only finds what is left.
 */
interface Batch {
  resealed: number;
  next: string | undefined;
}

interface SealedTable {
  name: RotationProgress["table"];
  staleCount(db: Db, keyId: Buffer): Promise<number>;
  /** Re-seals up to `size` rows after the cursor; `next` is undefined after the last batch. */
  resealBatch(tx: Db, vault: Vault, after: string, size: number): Promise<Batch>;
}

const oldKey = (sql: Db, column: string, keyId: Buffer) =>
  sql`(${sql(column)} is not null and substring(${sql(column)} from ${KEY_ID_SQL_POSITION.from} for ${KEY_ID_SQL_POSITION.for}) <> ${keyId})`;

function usersTable(): SealedTable {
  const stale = (sql: Db, keyId: Buffer) =>
    sql`(${oldKey(sql, "first_name", keyId)} or ${oldKey(sql, "last_name", keyId)} or ${oldKey(sql, "username", keyId)})`;
  return {
    name: "users",
    async staleCount(sql, keyId) {
      const [row] = await sql<
        { n: number }[]
      >`select count(*)::int as n from users where ${stale(sql, keyId)}`;
      return row?.n ?? 0;
    },
    async resealBatch(tx, vault, after, size) {
      const rows = await tx<
        { id: number; firstName: Buffer | null; lastName: Buffer | null; username: Buffer | null }[]
      >`
        select id, first_name, last_name, username from users
        where id > ${Number(after)} and ${stale(tx, vault.currentKeyId)}
        order by id limit ${size} for update`;
      const reseal = (id: number, field: string, value: Buffer | null) =>
        value === null
          ? null
          : vault.seal(vault.open(value, `users:${id}:${field}`), `users:${id}:${field}`);
      await Promise.all(
        rows.map(
          (r) => tx`
            update users set first_name = ${reseal(r.id, "first_name", r.firstName)},
                             last_name = ${reseal(r.id, "last_name", r.lastName)},
                             username = ${reseal(r.id, "username", r.username)}
            where id = ${r.id}`,
        ),
      );
      return {
        resealed: rows.length,
        next: rows.length < size ? undefined : String(rows.at(-1)?.id),
      };
    },
  };
}

function messagesTable(): SealedTable {
  return {
    name: "messages",
    async staleCount(sql, keyId) {
      const [row] = await sql<
        { n: number }[]
      >`select count(*)::int as n from messages where ${oldKey(sql, "text", keyId)}`;
      return row?.n ?? 0;
    },
    async resealBatch(tx, vault, after, size) {
      const rows = await tx<{ id: number; chatId: number; messageId: number; text: Buffer }[]>`
        select id, chat_id, message_id, text from messages
        where id > ${Number(after)} and ${oldKey(tx, "text", vault.currentKeyId)}
        order by id limit ${size} for update`;
      await Promise.all(
        rows.map((r) => {
          const identity = messageIdentity(r.chatId, r.messageId);
          return tx`update messages set text = ${vault.seal(vault.open(r.text, identity), identity)} where id = ${r.id}`;
        }),
      );
      return {
        resealed: rows.length,
        next: rows.length < size ? undefined : String(rows.at(-1)?.id),
      };
    },
  };
}

function conversationsTable(): SealedTable {
  return {
    name: "conversations",
    async staleCount(sql, keyId) {
      const [row] = await sql<
        { n: number }[]
      >`select count(*)::int as n from conversations where ${oldKey(sql, "state", keyId)}`;
      return row?.n ?? 0;
    },
    async resealBatch(tx, vault, after, size) {
      const [chatId = 0, userId = 0] = after.split(":").map(Number);
      const rows = await tx<{ chatId: number; userId: number; state: Buffer }[]>`
        select chat_id, user_id, state from conversations
        where (chat_id, user_id) > (${chatId}, ${userId}) and ${oldKey(tx, "state", vault.currentKeyId)}
        order by chat_id, user_id limit ${size} for update`;
      await Promise.all(
        rows.map((r) => {
          const identity = `conversations:${r.chatId}:${r.userId}:state`;
          return tx`
            update conversations set state = ${vault.seal(vault.open(r.state, identity), identity)}
            where chat_id = ${r.chatId} and user_id = ${r.userId}`;
        }),
      );
      const last = rows.at(-1);
      return {
        resealed: rows.length,
        next: rows.length < size || !last ? undefined : `${last.chatId}:${last.userId}`,
      };
    },
  };
}

function tasksTable(): SealedTable {
  const stale = (sql: Db, keyId: Buffer) =>
    sql`(${oldKey(sql, "title", keyId)} or ${oldKey(sql, "description", keyId)})`;
  return {
    name: "tasks",
    async staleCount(sql, keyId) {
      const [row] = await sql<
        { n: number }[]
      >`select count(*)::int as n from tasks where ${stale(sql, keyId)}`;
      return row?.n ?? 0;
    },
    async resealBatch(tx, vault, after, size) {
      const rows = await tx<{ id: number; title: Buffer; description: Buffer | null }[]>`
        select id, title, description from tasks
        where id > ${Number(after)} and ${stale(tx, vault.currentKeyId)}
        order by id limit ${size} for update`;
      const reseal = (id: number, field: TaskTextField, value: Buffer | null) => {
        if (value === null) return null;
        const identity = taskTextIdentity(id, field);
        return vault.seal(vault.open(value, identity), identity);
      };
      await Promise.all(
        rows.map(
          (r) => tx`
            update tasks set title = ${reseal(r.id, "title", r.title)},
                             description = ${reseal(r.id, "description", r.description)}
            where id = ${r.id}`,
        ),
      );
      return {
        resealed: rows.length,
        next: rows.length < size ? undefined : String(rows.at(-1)?.id),
      };
    },
  };
}

const START = {
  users: "0",
  messages: "0",
  conversations: `${Number.MIN_SAFE_INTEGER}:0`,
  tasks: "0",
};

/**
 * Re-seals every value sealed by an older key with the vault's current key, so old keys
 * can leave ENCRYPTION_KEYS. Values whose key is missing from the ring fail with the key's
 * id named. Returns how many rows were re-sealed per table.
 */
export async function rotateKeys(
  sql: Sql,
  vault: Vault,
  options: { batchSize?: number; onProgress?: (progress: RotationProgress) => void } = {},
): Promise<Record<RotationProgress["table"], number>> {
  const size = options.batchSize ?? 500;
  // Task texts a previous version stored in plain are sealed with the current key first.
  await sealLegacyTaskTexts(sql, vault, size);
  const done = { users: 0, messages: 0, conversations: 0, tasks: 0 };
  for (const table of [usersTable(), messagesTable(), conversationsTable(), tasksTable()]) {
    const total = await table.staleCount(sql, vault.currentKeyId);
    let after: string | undefined = START[table.name];
    while (after !== undefined) {
      const cursor: string = after;
      const batch = await sql.begin((tx) => table.resealBatch(tx, vault, cursor, size));
      done[table.name] += batch.resealed;
      options.onProgress?.({ table: table.name, resealed: done[table.name], total });
      after = batch.next;
    }
  }
  return done;
}
