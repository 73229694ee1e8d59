import type { Db } from "#db/client";
import { type OutgoingCall, queueCalls } from "#db/outbox";
import type { Vault } from "#db/vault";

export type { OutboxMethod, OutgoingCall, WriteBack } from "#db/outbox";

/**
 * Messages to send once the caller's transaction commits: written in it as outbox rows,
 * delivered by the sender (./sender.ts) per chat in this order. The edges' way into the
 * outbox (they do not reach db/ themselves).
 */
export function queueMessages(
  db: Db,
  vault: Vault,
  now: Date,
  calls: readonly OutgoingCall[],
): Promise<void> {
  return queueCalls(db, vault, calls, now);
}
