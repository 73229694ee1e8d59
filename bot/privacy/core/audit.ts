import { Forbidden, Invalid } from "#bot/lib/errors";
import { type AuditEntry, recentAudit } from "#db/audit";
import type { PrivacyOperation } from "./types.ts";

/** Stands in for an erased admin on the records of what they did to everyone's data. */
export { ERASED_ADMIN } from "#db/audit";

export const AUDIT_LIMIT_MAX = 100;

/** The latest entries of the audit trail (it holds no personal data), newest first: admins only. */
export async function auditLog(
  op: PrivacyOperation,
  input: { limit: number },
): Promise<AuditEntry[]> {
  if (!op.actor.isAdmin) throw new Forbidden("Admins only.");
  if (!Number.isInteger(input.limit) || input.limit < 1 || input.limit > AUDIT_LIMIT_MAX) {
    throw new Invalid(`limit: must be a whole number from 1 to ${AUDIT_LIMIT_MAX}`);
  }
  return recentAudit(op.db, input.limit);
}
