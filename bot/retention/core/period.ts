import { z } from "zod";
import { Forbidden, Invalid, NotFound } from "#bot/lib/errors";
import type { Actor } from "#bot/lib/operation";
import { writeAudit } from "#db/audit";
import type { Db } from "#db/client";
import {
  countMessages,
  globalPeriod,
  lastPurge,
  type MessageCounts,
  type Period,
  type PurgeRecord,
  type RetentionChange,
  type RetentionRules,
  setGlobalDays,
  setTeamDays,
  type TeamPeriod,
  teamPeriod,
  teamPeriods,
  teamsOnGlobalPeriod,
} from "#db/retention";
import type { RetentionDeps, RetentionOperation } from "./types.ts";

export const ADMINS_ONLY = "Admins only.";

/** Every retention operation but the notice's read is for bot admins, whichever edge asks. */
export function requireAdmin(actor: Actor): void {
  if (!actor.isAdmin) throw new Forbidden(ADMINS_ONLY);
}

const days = z.number().int().positive().nullable();

/** A change as it comes back from outside (a confirmation's payload, a request). */
export const retentionChange = z.union([
  z.object({ scope: z.literal("global"), days }),
  z.object({ scope: z.literal("team"), teamId: z.number().int(), days }),
]);

function checkBounds(rules: RetentionRules, chosen: number | null): void {
  if (chosen === null) return;
  if (!Number.isInteger(chosen) || chosen < rules.minDays || chosen > rules.maxDays) {
    throw new Invalid(`days: must be a whole number from ${rules.minDays} to ${rules.maxDays}.`);
  }
}

type PeriodNow = Period & { title: string | null };

/** The period that applies now to what `change` would change; null: an unknown group. */
async function periodNow(
  db: Db,
  rules: RetentionRules,
  change: RetentionChange,
): Promise<PeriodNow | null> {
  if (change.scope === "global") return { ...(await globalPeriod(db, rules)), title: null };
  return teamPeriod(db, rules, change.teamId);
}

/** The period that would apply after `change`, within the bounds. */
async function periodAfter(db: Db, rules: RetentionRules, change: RetentionChange) {
  const chosen =
    change.days ??
    (change.scope === "global" ? rules.defaultDays : (await globalPeriod(db, rules)).days);
  return Math.min(rules.maxDays, Math.max(rules.minDays, chosen));
}

export type PeriodOutcome =
  | { kind: "unchanged"; days: number; title: string | null }
  /** A shorter period deletes messages: nothing changed until the admin confirms. */
  | {
      kind: "needs_confirmation";
      before: number;
      after: number;
      title: string | null;
      expired: number;
    }
  | {
      kind: "changed";
      before: number;
      after: number;
      title: string | null;
      /** Groups whose period changed (each is told, but `here`). */
      affected: number[];
    };

export interface SetPeriodInput {
  change: RetentionChange;
  /** The admin has seen what a shorter period deletes and agreed. */
  confirmed: boolean;
  /** The group the admin asks in: the answer is its announcement, so it is not told twice. */
  here?: number | null;
}

/**
 * Sets the global period or a group's own (null: back to the default, or to the global
 * one), within the bounds, for admins; writes the audit record; the groups whose period
 * changed are told after the commit. Repeating the standing setting changes nothing.
 */
export async function setPeriod(
  op: RetentionOperation,
  deps: RetentionDeps,
  input: SetPeriodInput,
): Promise<PeriodOutcome> {
  requireAdmin(op.actor);
  const { rules } = deps.retention;
  checkBounds(rules, input.change.days);
  const parsed = retentionChange.safeParse(input.change);
  if (!parsed.success) throw new Invalid("That is not a retention change.");
  const change = parsed.data;
  const before = await periodNow(op.db, rules, change);
  if (!before) throw new NotFound("No such team.");
  if (before.setDays === change.days) {
    return { kind: "unchanged", days: before.days, title: before.title };
  }
  const after = await periodAfter(op.db, rules, change);
  if (after < before.days && !input.confirmed) {
    const { expired } = await countMessages(op.db, rules, op.now, { change });
    return { kind: "needs_confirmation", before: before.days, after, title: before.title, expired };
  }
  if (change.scope === "global") await setGlobalDays(op.db, change.days, op.now);
  else await setTeamDays(op.db, change.teamId, change.days, op.now);
  await writeAudit(op.db, {
    at: op.now,
    action: "retention.changed",
    actor: deps.hashId(op.actor.userId),
    target: change.scope === "global" ? "global" : `team:${change.teamId}`,
    counts: {
      old_days: before.days,
      new_days: after,
      ...(change.days === null ? { follows_default: 1 } : {}),
    },
  });
  const affected =
    before.days === after
      ? []
      : change.scope === "global"
        ? await teamsOnGlobalPeriod(op.db)
        : [change.teamId];
  const told = affected.filter((teamId) => teamId !== input.here);
  if (told.length > 0) await op.effects.periodChanged(told, after, before.days);
  return { kind: "changed", before: before.days, after, title: before.title, affected };
}

export interface RetentionPolicy {
  global: Period;
  /** Groups with their own period. */
  teams: TeamPeriod[];
  minDays: number;
  maxDays: number;
}

/** The global period, the groups with their own, and the bounds: for admins. */
export async function retentionPolicy(
  op: RetentionOperation,
  deps: RetentionDeps,
): Promise<RetentionPolicy> {
  requireAdmin(op.actor);
  const { rules } = deps.retention;
  return {
    global: await globalPeriod(op.db, rules),
    teams: await teamPeriods(op.db, rules),
    minDays: rules.minDays,
    maxDays: rules.maxDays,
  };
}

/** One group's period (`setDays` null: it follows the global one), for admins. */
export async function teamRetention(
  op: RetentionOperation,
  deps: RetentionDeps,
  teamId: number,
): Promise<Period & { teamId: number; title: string }> {
  requireAdmin(op.actor);
  const period = await teamPeriod(op.db, deps.retention.rules, teamId);
  if (!period) throw new NotFound("No such team.");
  return { teamId, ...period };
}

export interface RetentionReport extends RetentionPolicy {
  counts: MessageCounts;
  lastPurge: PurgeRecord | null;
  purgeIntervalMinutes: number;
  auditRetentionDays: number;
}

/** Everything /retention shows in private: the policy, what is stored and expired, the purge. */
export async function retentionReport(
  op: RetentionOperation,
  deps: RetentionDeps,
): Promise<RetentionReport> {
  const policy = await retentionPolicy(op, deps);
  const { rules, purgeIntervalMinutes, auditRetentionDays } = deps.retention;
  return {
    ...policy,
    counts: await countMessages(op.db, rules, op.now),
    lastPurge: await lastPurge(op.db),
    purgeIntervalMinutes,
    auditRetentionDays,
  };
}

export interface GroupRetention {
  /** What applies to the group's messages; `own`: the group has its own period. */
  days: number;
  own: boolean;
  globalDays: number;
  minDays: number;
  maxDays: number;
  counts: MessageCounts;
}

/** What /retention shows in a group: its period and its stored messages, for admins. */
export async function groupRetention(
  op: RetentionOperation,
  deps: RetentionDeps,
  teamId: number,
): Promise<GroupRetention> {
  requireAdmin(op.actor);
  const { rules } = deps.retention;
  const period = await teamPeriod(op.db, rules, teamId);
  const global = await globalPeriod(op.db, rules);
  return {
    days: period?.days ?? global.days,
    own: period !== null && period.setDays !== null,
    globalDays: global.days,
    minDays: rules.minDays,
    maxDays: rules.maxDays,
    counts: await countMessages(op.db, rules, op.now, { teamId }),
  };
}

/**
 * The period that applies to a group's messages (null: private chat, the global period):
 * what the privacy notice tells anyone, so it asks for no actor.
 */
export async function periodInForce(
  source: { db: Db },
  rules: RetentionRules,
  teamId: number | null,
): Promise<number> {
  const team = teamId === null ? null : await teamPeriod(source.db, rules, teamId);
  return team?.days ?? (await globalPeriod(source.db, rules)).days;
}
