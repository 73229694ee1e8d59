import { writeAudit } from "#db/audit";
import {
  type ConsentRecord,
  type ConsentSource,
  latestConsent,
  markConsentPrompted,
  recordConsent,
} from "#db/consents";
import { countMessagesBy, deleteMessagesBy } from "#db/messages";
import { PRIVACY_POLICY_VERSION } from "../policy.ts";
import type { PrivacyDeps, PrivacyOperation } from "./types.ts";

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

/** Consent to an older notice does not count: the person is asked again. */
export function consentCounts(record: ConsentRecord | null): boolean {
  return record?.granted === true && record.policyVersion === PRIVACY_POLICY_VERSION;
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

/** The actor's latest consent record (null: never asked) and where that leaves them. */
export async function consentStatus(
  op: PrivacyOperation,
): Promise<{ record: ConsentRecord | null; state: ConsentState }> {
  const record = await latestConsent(op.db, op.actor.userId);
  return { record, state: consentState(record) };
}

/** The actor was shown the question for the current notice: they are not asked again. */
export async function markConsentAsked(op: PrivacyOperation): Promise<number> {
  await markConsentPrompted(op.db, op.actor.userId, PRIVACY_POLICY_VERSION);
  return PRIVACY_POLICY_VERSION;
}

export interface ConsentOutcome {
  record: ConsentRecord;
  state: ConsentState;
  /** False when the standing choice was repeated (a double tap): nothing was recorded. */
  changed: boolean;
  /** After a withdrawal: the messages still held from while they consented. */
  storedMessages: number;
}

/**
 * Gives or withdraws the actor's consent to the current notice, with its audit record.
 * Repeating the standing choice records nothing. Recording starts or stops with the next
 * group message on any instance: the person is forgotten by every cache.
 */
export async function consent(
  op: PrivacyOperation,
  deps: PrivacyDeps,
  input: { granted: boolean; source: ConsentSource },
): Promise<ConsentOutcome> {
  const { userId } = op.actor;
  const { granted } = input;
  const latest = await latestConsent(op.db, userId);
  const standing = latest?.granted === granted;
  let record: ConsentRecord;
  let changed = false;
  if (latest && standing && (!granted || latest.policyVersion === PRIVACY_POLICY_VERSION)) {
    record = latest;
  } else {
    record = await recordConsent(
      op.db,
      userId,
      { granted, policyVersion: PRIVACY_POLICY_VERSION, source: input.source },
      op.now,
    );
    await writeAudit(op.db, {
      at: op.now,
      action: granted ? "consent.given" : "consent.withdrawn",
      actor: deps.hashId(userId),
      target: null,
      counts: { policy_version: PRIVACY_POLICY_VERSION },
    });
    changed = true;
  }
  op.effects.forget(userId);
  const storedMessages = granted
    ? 0
    : await countMessagesBy(op.db, userId, { rules: deps.retention.rules, now: op.now });
  return { record, state: consentState(record), changed, storedMessages };
}

/** Deletes every message the actor wrote that is stored, with its audit record. */
export async function deleteStoredMessages(
  op: PrivacyOperation,
  deps: PrivacyDeps,
): Promise<{ deleted: number; state: ConsentState }> {
  const { userId } = op.actor;
  const deleted = await deleteMessagesBy(op.db, userId);
  await writeAudit(op.db, {
    at: op.now,
    action: "messages.deleted",
    actor: deps.hashId(userId),
    target: deps.hashId(userId),
    counts: { messages: deleted },
  });
  return { deleted, state: consentState(await latestConsent(op.db, userId)) };
}
