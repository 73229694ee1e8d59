import type { ReservedSql, Sql } from "postgres";
import type { Db } from "./client.ts";
import { listenTo } from "./listen.ts";
import { setCardMessage } from "./tasks.ts";
import { type Vault, VaultError } from "./vault.ts";

/** The Bot API methods the outbox makes: each takes a chat_id and, but the last, a text. */
export type OutboxMethod = "sendMessage" | "editMessageText" | "editMessageReplyMarkup";

/** What to store from Telegram's answer once it accepted the call. */
export interface WriteBack {
  /** The sent message becomes this task's card in its group (edited on later changes). */
  groupCardOf: number;
}

export interface OutgoingCall {
  chatId: number;
  method: OutboxMethod;
  /** The call's parameters without chat_id and text. */
  params: Record<string, unknown>;
  text?: string;
  writeBack?: WriteBack;
}

export interface QueuedCall extends OutgoingCall {
  id: number;
  /**
   * Why its text cannot be opened (its key left ENCRYPTION_KEYS): such a call can never be
   * sent, and must not hold up its chat or the chats read with it.
   */
  unreadable?: string;
}

/** Advisory lock namespace of a chat's outbox queue (two-int form, next to the update lock). */
const OUTBOX_LOCK_NAMESPACE = 7_302;

/** The text's row identity: bound to the chat, so a sealed text copied to another chat does not open. */
const textIdentity = (chatId: number) => `outbox:${chatId}:text`;

/** Queues calls in the caller's transaction; they go out once it commits, in this order per chat. */
export async function queueCalls(
  db: Db,
  vault: Vault,
  calls: readonly OutgoingCall[],
  now: Date,
): Promise<void> {
  if (calls.length === 0) return;
  const rows = calls.map((call) => ({
    chatId: call.chatId,
    method: call.method,
    params: db.json(call.params as Parameters<Db["json"]>[0]),
    sealedText: call.text === undefined ? null : vault.seal(call.text, textIdentity(call.chatId)),
    writeBack: call.writeBack ? db.json({ ...call.writeBack }) : null,
    createdAt: now,
  }));
  // 6 parameters a row: 1,000 rows stay far below PostgreSQL's 65,534.
  for (let start = 0; start < rows.length; start += 1000) {
    await db`insert into outbox ${db(rows.slice(start, start + 1000))}`;
  }
}

/**
 * Takes, on the sender's own connection, the lock of up to `limit` chats with queued calls
 * (oldest first) that no other sender holds, leaving out `held` (this sender's own). A
 * session-level lock: it is freed by unlockChat, or by the connection's end when a sender
 * dies, so a crashed instance never keeps a chat. The candidates are read first and locked
 * second: a lock taken in the same query as a LIMIT could be taken for a row the limit
 * then drops, and would be held by nobody's worker.
 */
export async function lockWaitingChats(
  conn: ReservedSql,
  held: readonly number[],
  limit: number,
): Promise<number[]> {
  const candidates = await conn<{ chatId: number }[]>`
    select chat_id from outbox
    where chat_id <> all(${`{${held.join(",")}}`}::bigint[])
    group by chat_id
    order by min(id)
    limit ${limit}
  `;
  if (candidates.length === 0) return [];
  const ids = `{${candidates.map((row) => row.chatId).join(",")}}`;
  const locked = await conn<{ chatId: number }[]>`
    select chat_id from unnest(${ids}::bigint[]) as candidate (chat_id)
    where pg_try_advisory_lock(${OUTBOX_LOCK_NAMESPACE}, hashtext(chat_id::text))
  `;
  return locked.map((row) => row.chatId);
}

/** Frees every chat the connection holds, before it goes back to the pool. */
export async function unlockAllChats(conn: ReservedSql): Promise<void> {
  await conn`select pg_advisory_unlock_all()`;
}

interface OutboxRow {
  id: number;
  chatId: number;
  method: OutboxMethod;
  params: Record<string, unknown>;
  sealedText: Uint8Array | null;
  writeBack: WriteBack | null;
}

function opened(vault: Vault, row: OutboxRow | undefined): QueuedCall | undefined {
  if (!row) return undefined;
  const call: QueuedCall = {
    id: row.id,
    chatId: row.chatId,
    method: row.method,
    params: row.params,
    ...(row.writeBack ? { writeBack: row.writeBack } : {}),
  };
  if (!row.sealedText) return call;
  try {
    return { ...call, text: vault.open(row.sealedText, textIdentity(row.chatId)) };
  } catch (error) {
    if (!(error instanceof VaultError)) throw error;
    return { ...call, unreadable: error.message };
  }
}

/** The next call of each chat (the chats' lock holder asks for many at once). */
export async function nextCallsOf(
  db: Db,
  vault: Vault,
  chatIds: readonly number[],
): Promise<Map<number, QueuedCall>> {
  const rows = await db<OutboxRow[]>`
    select o.id, o.chat_id, o.method, o.params, o.sealed_text, o.write_back
    from unnest(${`{${chatIds.join(",")}}`}::bigint[]) as waiting (chat_id)
    cross join lateral (
      select * from outbox where outbox.chat_id = waiting.chat_id order by id limit 1
    ) as o
  `;
  return callsByChat(vault, rows);
}

/**
 * Forgets delivered (or dropped) calls, one per chat, and reads each chat's next one, in
 * one statement. The read does not see the delete (one snapshot), hence `id >`: a chat's
 * calls are taken in id order, so nothing before it is left.
 */
export async function forgetAndNextOf(
  db: Db,
  vault: Vault,
  calls: readonly Pick<QueuedCall, "id" | "chatId">[],
): Promise<Map<number, QueuedCall>> {
  const ids = `{${calls.map((call) => call.id).join(",")}}`;
  const chats = `{${calls.map((call) => call.chatId).join(",")}}`;
  const rows = await db<OutboxRow[]>`
    with gone as (delete from outbox where id = any(${ids}::bigint[]))
    select o.id, o.chat_id, o.method, o.params, o.sealed_text, o.write_back
    from unnest(${ids}::bigint[], ${chats}::bigint[]) as done (id, chat_id)
    cross join lateral (
      select * from outbox
      where outbox.chat_id = done.chat_id and outbox.id > done.id
      order by id limit 1
    ) as o
  `;
  return callsByChat(vault, rows);
}

function callsByChat(vault: Vault, rows: readonly OutboxRow[]): Map<number, QueuedCall> {
  const calls = new Map<number, QueuedCall>();
  for (const row of rows) {
    const call = opened(vault, row);
    if (call) calls.set(call.chatId, call);
  }
  return calls;
}

/** Frees chats the connection holds, many in one statement. */
export async function unlockChats(conn: ReservedSql, chatIds: readonly number[]): Promise<void> {
  await conn`
    select pg_advisory_unlock(${OUTBOX_LOCK_NAMESPACE}, hashtext(chat_id::text))
    from unnest(${`{${chatIds.join(",")}}`}::bigint[]) as held (chat_id)
  `;
}

/**
 * Telegram accepted a call whose answer is to be kept: store it, then forget the call,
 * atomically. The chat's next call.
 */
export async function settleWriteBack(
  sql: Sql,
  vault: Vault,
  call: QueuedCall & { writeBack: WriteBack },
  messageId: number,
): Promise<QueuedCall | undefined> {
  const { writeBack } = call;
  return sql.begin(async (tx) => {
    await setCardMessage(tx, writeBack.groupCardOf, messageId);
    return (await forgetAndNextOf(tx, vault, [call])).get(call.chatId);
  });
}

/** Forgets everything queued for the chat; how many calls went. */
export async function dropChat(db: Db, chatId: number): Promise<number> {
  const result = await db`delete from outbox where chat_id = ${chatId}`;
  return result.count;
}

export async function queuedCount(db: Db): Promise<number> {
  const [row] = await db<{ count: number }[]>`select count(*)::int as count from outbox`;
  return row?.count ?? 0;
}

/**
 * The outbox's backlog for the metrics, in one statement that stays cheap however long the
 * queue grows: the count stops at `cap`, the oldest row is the first of the primary key.
 */
export async function outboxBacklog(
  db: Db,
  cap: number,
): Promise<{ depth: number; oldestAt: Date | null }> {
  const [row] = await db<{ depth: number; oldestAt: Date | null }[]>`
    select
      (select count(*)::int from (select 1 from outbox limit ${cap}) as capped) as depth,
      (select created_at from outbox order by id limit 1) as oldest_at`;
  return { depth: row?.depth ?? 0, oldestAt: row?.oldestAt ?? null };
}

/** Wakes `onQueued` whenever a transaction that queued calls commits, on any instance. */
export function listenForQueued(sql: Sql, onQueued: () => void): Promise<() => Promise<void>> {
  return listenTo(sql, "outbox", onQueued);
}
