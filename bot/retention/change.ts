import type { IdHasher } from "#bot/lib/logger";
import { writeAudit } from "#db/audit";
import type { Db } from "#db/client";
import {
  globalPeriod,
  type Period,
  type RetentionChange,
  type RetentionRules,
  setGlobalDays,
  setTeamDays,
  teamPeriod,
  teamsOnGlobalPeriod,
} from "#db/retention";

/** The period that applies now to what `change` would change; null: an unknown group. */
export async function periodNow(
  db: Db,
  rules: RetentionRules,
  change: RetentionChange,
): Promise<(Period & { title: string | null }) | null> {
  if (change.scope === "global") return { ...(await globalPeriod(db, rules)), title: null };
  return teamPeriod(db, rules, change.teamId);
}

/** The period that would apply after `change`, within the bounds. */
export async function periodAfter(
  db: Db,
  rules: RetentionRules,
  change: RetentionChange,
): Promise<number> {
  const chosen =
    change.days ??
    (change.scope === "global" ? rules.defaultDays : (await globalPeriod(db, rules)).days);
  return Math.min(rules.maxDays, Math.max(rules.minDays, chosen));
}

export type ChangeOutcome =
  | { kind: "unknown_team" }
  | { kind: "unchanged"; days: number; title: string | null }
  | {
      kind: "changed";
      before: number;
      after: number;
      title: string | null;
      /** Groups whose period changed: each is told. */
      affected: number[];
    };

/**
 * Makes the change and writes its audit record in the caller's transaction: the one
 * change behind /retention and the admin API. Telling the groups is the caller's, after
 * the commit.
 */
export async function changeRetention(
  db: Db,
  services: { hashId: IdHasher; retention: { rules: RetentionRules } },
  change: RetentionChange,
  actorId: number,
  now: Date,
): Promise<ChangeOutcome> {
  const { rules } = services.retention;
  const before = await periodNow(db, rules, change);
  if (!before) return { kind: "unknown_team" };
  if (before.setDays === change.days) {
    return { kind: "unchanged", days: before.days, title: before.title };
  }
  const after = await periodAfter(db, rules, change);
  if (change.scope === "global") await setGlobalDays(db, change.days, now);
  else await setTeamDays(db, change.teamId, change.days, now);
  await writeAudit(db, {
    at: now,
    action: "retention.changed",
    actor: services.hashId(actorId),
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
        ? await teamsOnGlobalPeriod(db)
        : [change.teamId];
  return { kind: "changed", before: before.days, after, title: before.title, affected };
}
