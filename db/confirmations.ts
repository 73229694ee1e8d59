import { randomBytes } from "node:crypto";
import type { Db } from "./client.ts";

/**
 * One-time confirmations for destructive actions: a random token in the button, bound to
 * one user and a deadline, used up by the first press.
 */
export interface Confirmation {
  action: string;
  payload: Record<string, unknown>;
}

export type ConfirmResult =
  | ({ ok: true } & Confirmation)
  | { ok: false; reason: "unknown" | "not_yours" | "expired" };

export async function createConfirmation(
  db: Db,
  userId: number,
  confirmation: Confirmation,
  expiresAt: Date,
): Promise<string> {
  const token = randomBytes(12).toString("base64url");
  await db`
    insert into confirmations (token, user_id, action, payload, expires_at)
    values (${token}, ${userId}, ${confirmation.action}, ${db.json(confirmation.payload as never)},
            ${expiresAt})
  `;
  return token;
}

/** Uses up the token if it is this user's and still valid; says why not otherwise. */
export async function consumeConfirmation(
  db: Db,
  token: string,
  userId: number,
  action: string,
  now: Date,
): Promise<ConfirmResult> {
  const [row] = await db<{ userId: number; expiresAt: Date; payload: Record<string, unknown> }[]>`
    select user_id, expires_at, payload from confirmations
    where token = ${token} and action = ${action}
    for update
  `;
  if (!row) return { ok: false, reason: "unknown" };
  if (row.userId !== userId) return { ok: false, reason: "not_yours" };
  await db`delete from confirmations where token = ${token}`;
  if (row.expiresAt <= now) return { ok: false, reason: "expired" };
  return { ok: true, action, payload: row.payload };
}

export async function forgetConfirmationsOf(db: Db, userId: number): Promise<number> {
  const result = await db`delete from confirmations where user_id = ${userId}`;
  return result.count;
}

export async function forgetConfirmationsBefore(db: Db, cutoff: Date): Promise<number> {
  const result = await db`delete from confirmations where expires_at < ${cutoff}`;
  return result.count;
}
