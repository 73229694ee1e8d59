import type { Db } from "./client.ts";

/**
 * The audit trail. Rows hold no personal data: actor and target are keyed hashes of user
 * ids (or a team id, or a setting's name), the rest is an action name and counts.
 */
export type AuditAction =
  | "consent.given"
  | "consent.withdrawn"
  | "messages.deleted"
  | "export.made"
  | "erasure.done"
  | "retention.changed"
  | "retention.purged";

/**
 * Stands in for an erased admin on the records of what they did to everyone's data. Never
 * mistaken for a person: a keyed hash is 16 base64url characters.
 */
export const ERASED_ADMIN = "erased-admin";

/**
 * Admin actions whose record outlives the admin's erasure: otherwise an admin could shorten
 * the retention period, purge, and then erase the trace of having done it.
 */
export const KEPT_AFTER_ERASURE: readonly AuditAction[] = ["retention.changed", "retention.purged"];

export interface AuditEntry {
  at: Date;
  action: AuditAction;
  actor: string | null;
  target: string | null;
  counts: Record<string, number>;
}

export async function writeAudit(db: Db, entry: AuditEntry): Promise<void> {
  await db`
    insert into audit_log (at, action, actor, target, counts)
    values (${entry.at}, ${entry.action}, ${entry.actor}, ${entry.target}, ${db.json(entry.counts)})
  `;
}

export async function recentAudit(db: Db, limit: number): Promise<AuditEntry[]> {
  return db<AuditEntry[]>`
    select at, action, actor, target, counts from audit_log order by id desc limit ${limit}
  `;
}

/** Entries a person caused or that concern them, oldest first. */
export async function auditAbout(db: Db, personHash: string): Promise<AuditEntry[]> {
  return db<AuditEntry[]>`
    select at, action, actor, target, counts from audit_log
    where actor = ${personHash} or target = ${personHash}
    order by id
  `;
}

/** Puts ERASED_ADMIN in place of the person on the admin actions kept after their erasure. */
export async function anonymiseKeptActions(db: Db, personHash: string): Promise<number> {
  const result = await db`
    update audit_log set actor = ${ERASED_ADMIN}
    where actor = ${personHash} and action in ${db(KEPT_AFTER_ERASURE)}
  `;
  return result.count;
}
