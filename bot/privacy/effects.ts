import type { Unit } from "#bot/lib/operation";
import type { PeopleChanges } from "#bot/people/changes";
import type { PrivacyEffects, PrivacyOperation } from "./core/types.ts";

/**
 * Privacy's effects, delivered after the unit commits: the one implementation behind the
 * bot and the API. Forgetting here is this process's own; the other instances forget the
 * person when the database announces the committed change (people/changes.ts).
 */
export function privacyEffects(unit: Unit, people: Pick<PeopleChanges, "forget">): PrivacyEffects {
  return {
    forget(userId) {
      unit.afterCommit(async () => people.forget(userId));
    },
  };
}

/** A privacy operation over `unit`. */
export function privacyOperation(
  unit: Unit,
  people: Pick<PeopleChanges, "forget">,
): PrivacyOperation {
  return { db: unit.db, now: unit.now, actor: unit.actor, effects: privacyEffects(unit, people) };
}
