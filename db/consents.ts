import type { Db } from "./client.ts";

export type ConsentSource = "bot" | "miniapp";

export interface ConsentRecord {
  granted: boolean;
  policyVersion: number;
  source: ConsentSource;
  at: Date;
}

/**
 * Adds a consent record (the latest one counts) and mirrors it on the user row, where
 * the message recorder checks it in the same statement that stores a message.
 */
export async function recordConsent(
  db: Db,
  userId: number,
  change: { granted: boolean; policyVersion: number; source: ConsentSource },
  now: Date,
): Promise<ConsentRecord> {
  await db`
    insert into consents (user_id, granted, policy_version, source, created_at)
    values (${userId}, ${change.granted}, ${change.policyVersion}, ${change.source}, ${now})
  `;
  await db`
    update users set
      consent_version = ${change.granted ? change.policyVersion : null},
      consent_prompted_version = greatest(consent_prompted_version, ${change.policyVersion}),
      updated_at = ${now}
    where id = ${userId}
  `;
  return { ...change, at: now };
}

export async function latestConsent(db: Db, userId: number): Promise<ConsentRecord | null> {
  const [row] = await db<ConsentRecord[]>`
    select granted, policy_version, source, created_at as at
    from consents where user_id = ${userId} order by id desc limit 1
  `;
  return row ?? null;
}

/** Remembers that the user was asked about this policy version, so they are asked once. */
export async function markConsentPrompted(
  db: Db,
  userId: number,
  policyVersion: number,
): Promise<void> {
  await db`
    update users set consent_prompted_version = ${policyVersion}
    where id = ${userId} and consent_prompted_version is distinct from ${policyVersion}
  `;
}
