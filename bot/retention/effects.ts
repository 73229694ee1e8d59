import type { Api } from "grammy";
import type { Logger } from "#bot/lib/logger";
import type { Unit } from "#bot/lib/operation";
import { announcePeriod, tellGroups } from "./announce.ts";
import type { RetentionEffects, RetentionOperation } from "./core/types.ts";

/**
 * Retention's effects, delivered after the unit commits: the one implementation behind the
 * bot's commands and the API's routes.
 */
export function retentionEffects(unit: Unit, telegram: Api, log: Logger): RetentionEffects {
  return {
    periodChanged(teamIds, days, before) {
      const told = [...teamIds];
      unit.afterCommit(() => tellGroups(telegram, log, told, announcePeriod(days, before)));
    },
  };
}

/** A retention operation over `unit`. */
export function retentionOperation(unit: Unit, telegram: Api, log: Logger): RetentionOperation {
  return { ...unit, effects: retentionEffects(unit, telegram, log) };
}
