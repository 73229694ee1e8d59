import type { IdHasher } from "#bot/lib/logger";
import { writeAudit } from "#db/audit";
import type { Db } from "#db/client";
import { type ConsentRecord, type ConsentSource, latestConsent, recordConsent } from "#db/consents";
import { PRIVACY_POLICY_VERSION } from "./policy.ts";

/** Where a person stands: given (to which version), withdrawn, or never asked. */
export type ConsentState =
  | { kind: "never" }
  | { kind: "given"; at: Date; policyVersion: number; current: boolean }
  | { kind: "withdrawn"; at: Date; policyVersion: number };

export function consentState(latest: ConsentRecord | null): ConsentState {
  if (!latest) return { kind: "never" };
  const { at, policyVersion } = latest;
  return latest.granted
    ? { kind: "given", at, policyVersion, current: policyVersion === PRIVACY_POLICY_VERSION }
    : { kind: "withdrawn", at, policyVersion };
}

/** Whether someone who agreed to an older notice still has to be asked about this one. */
export function needsAsking(viewer: {
  consentVersion: number | null;
  consentPromptedVersion: number | null;
}): boolean {
  return (
    viewer.consentVersion !== null &&
    viewer.consentVersion < PRIVACY_POLICY_VERSION &&
    (viewer.consentPromptedVersion ?? 0) < PRIVACY_POLICY_VERSION
  );
}

/**
 * Gives or withdraws consent to the current notice, with its audit record, in the
 * caller's transaction. Repeating the standing choice records nothing (a double tap).
 * Used by the bot and the Mini App API alike.
 */
export async function changeConsent(
  db: Db,
  hashId: IdHasher,
  userId: number,
  granted: boolean,
  source: ConsentSource,
  now: Date,
): Promise<{ record: ConsentRecord; changed: boolean }> {
  const latest = await latestConsent(db, userId);
  const standing = latest?.granted === granted;
  if (latest && standing && (!granted || latest.policyVersion === PRIVACY_POLICY_VERSION)) {
    return { record: latest, changed: false };
  }
  const record = await recordConsent(
    db,
    userId,
    { granted, policyVersion: PRIVACY_POLICY_VERSION, source },
    now,
  );
  await writeAudit(db, {
    at: now,
    action: granted ? "consent.given" : "consent.withdrawn",
    actor: hashId(userId),
    target: null,
    counts: { policy_version: PRIVACY_POLICY_VERSION },
  });
  return { record, changed: true };
}
