import type { Db } from "./client.ts";
import { isoTimeSql } from "./json-text.ts";

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
/**
 * The entries done by or about a person (by their keyed hash), oldest first, as the export's
 * JSON list written by PostgreSQL: at, action, whether they did it, counts.
 */
export async function auditAboutJson(db: Db, personHash: string): Promise<string> {
  const [row] = await db<{ json: string }[]>`
    select '[' || coalesce(string_agg('{"at":"' || ${isoTimeSql(db, "at")}
      || '","action":' || to_json(action)::text
      || ',"by_you":' || (actor is not distinct from ${personHash})
      || ',"counts":' || ${countsJsonSql(db)} || '}', ',' order by id), '') || ']' as json
    from audit_log
    where actor = ${personHash} or target = ${personHash}
  `;
  return row?.json ?? "[]";
}

/** An entry's counts as JSON.stringify writes them: jsonb's key order, whole numbers. */
function countsJsonSql(db: Db) {
  return db`'{' || coalesce((
    select string_agg(to_json(e.key)::text || ':' || e.value::text, ',' order by e.n)
    from jsonb_each(counts) with ordinality as e(key, value, n)), '') || '}'`;
}

/** Puts ERASED_ADMIN in place of the person on the admin actions kept after their erasure. */
export async function anonymiseKeptActions(db: Db, personHash: string): Promise<number> {
  const result = await db`
    update audit_log set actor = ${ERASED_ADMIN}
    where actor = ${personHash} and action in ${db(KEPT_AFTER_ERASURE)}
  `;
  return result.count;
}

/**
 * The latest entries as the API's JSON (AuditJson's keys and order, as JSON.stringify writes
 * them), written by PostgreSQL (json-text.ts): nothing in the trail is sealed. `counts` keeps
 * jsonb's key order, the order postgres.js hands an object over in; its values are whole numbers.
 */
export async function recentAuditJson(
  db: Db,
  limit: number,
): Promise<{ body: string; etag: string }> {
  const [row] = await db<{ body: string; digest: string }[]>`
    with entries as (
      select id, '{"at":"' || ${isoTimeSql(db, "at")} || '","action":' || to_json(action)::text
        || ',"actor":' || coalesce(to_json(actor)::text, 'null')
        || ',"target":' || coalesce(to_json(target)::text, 'null')
        || ',"counts":' || ${countsJsonSql(db)} || '}' as json
      from audit_log order by id desc limit ${limit}
    ),
    body as (
      select '{"entries":[' || coalesce(string_agg(json, ',' order by id desc), '') || ']}' as body
      from entries
    )
    select body, md5(body) as digest from body
  `;
  if (!row) throw new Error("the audit query returned no row");
  return { body: row.body, etag: `W/"${row.digest}"` };
}
