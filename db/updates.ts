import type { TransactionSql } from "postgres";
import type { Db } from "./client.ts";

/** Advisory lock namespace for per-chat update ordering (two-int form: namespace, key). */
export const CHAT_LOCK_NAMESPACE = 7_301;

/**
 * Takes the chat's lock for the rest of the transaction, then records the update id.
 * Returns false when the update was processed before (a webhook retry), in one round trip.
 * The lock comes first so a duplicate delivered concurrently waits for the original
 * to commit and then sees its row.
 */
export async function claimUpdate(
  tx: TransactionSql,
  updateId: number,
  lockKey: number,
  now: Date,
): Promise<boolean> {
  const rows = await tx`
    with chat_lock as (select pg_advisory_xact_lock(${CHAT_LOCK_NAMESPACE}, hashtext(${String(lockKey)})))
    insert into processed_updates (update_id, processed_at)
    select ${updateId}, ${now} from chat_lock
    on conflict (update_id) do nothing
    returning update_id
  `;
  return rows.length > 0;
}

export async function forgetUpdatesBefore(db: Db, cutoff: Date): Promise<number> {
  const result = await db`delete from processed_updates where processed_at < ${cutoff}`;
  return result.count;
}
