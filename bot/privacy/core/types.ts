import type { IdHasher } from "#bot/lib/logger";
import type { Operation } from "#bot/lib/operation";
import type { RetentionRules } from "#bot/retention/core/types";
import type { Vault } from "#db/vault";

export type { AuditAction, AuditEntry } from "#db/audit";
export type { ConsentRecord, ConsentSource } from "#db/consents";
export type { ErasureCounts } from "#db/erasure";

/** What a privacy operation leaves for after its commit. */
export interface PrivacyEffects {
  /**
   * Something about this person changed or is gone: every cache of people forgets them,
   * this process's at once after the commit, the other instances' through the database's
   * announcement of the change.
   */
  forget(userId: number): void;
}

export type PrivacyOperation = Operation<PrivacyEffects>;

/** What privacy's operations read besides the unit. */
export interface PrivacyDeps {
  /** Keyed hash of a user id: how the audit trail names people. */
  hashId: IdHasher;
  vault: Vault;
  /** Messages past their period are neither counted nor exported. */
  retention: { rules: RetentionRules };
}
