import { Forbidden, Invalid } from "#bot/lib/errors";
import { type AuditEntry, recentAudit, recentAuditJson } from "#db/audit";
import type { PrivacyOperation } from "./types.ts";

/** Stands in for an erased admin on the records of what they did to everyone's data. */
export { ERASED_ADMIN } from "#db/audit";

export const AUDIT_LIMIT_MAX = 100;

/** The latest entries of the audit trail (it holds no personal data), newest first: admins only. */
export async function auditLog(
  op: PrivacyOperation,
  input: { limit: number },
): Promise<AuditEntry[]> {
  checkAuditRead(op, input.limit);
  return recentAudit(op.db, input.limit);
}

/** The same entries as the API's JSON, written by PostgreSQL, with its ETag. */
export function auditLogAsJson(
  op: PrivacyOperation,
  input: { limit: number },
): Promise<{ body: string; etag: string }> {
  checkAuditRead(op, input.limit);
  return recentAuditJson(op.db, input.limit);
}

function checkAuditRead(op: PrivacyOperation, limit: number): void {
  if (!op.actor.isAdmin) throw new Forbidden("Admins only.");
  if (!Number.isInteger(limit) || limit < 1 || limit > AUDIT_LIMIT_MAX) {
    throw new Invalid(`limit: must be a whole number from 1 to ${AUDIT_LIMIT_MAX}`);
  }
}
