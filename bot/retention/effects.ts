import type { Unit } from "#bot/lib/operation";
import { queueMessages } from "#bot/outbox/queue";
import type { Services } from "#bot/telegram/context";
import { announcePeriod } from "./announce.ts";
import type { RetentionEffects, RetentionOperation } from "./core/types.ts";

/**
 * Retention's effects, written to the outbox in the unit's transaction and delivered after
 * it commits: the one implementation behind the bot's commands and the API's routes.
 */
export function retentionEffects(unit: Unit, vault: Services["vault"]): RetentionEffects {
  return {
    async periodChanged(teamIds, days, before) {
      const text = announcePeriod(days, before);
      await queueMessages(
        unit.db,
        vault,
        unit.now,
        teamIds.map((teamId) => ({ chatId: teamId, method: "sendMessage", text, params: {} })),
      );
    },
  };
}

/** A retention operation over `unit`. */
export function retentionOperation(unit: Unit, vault: Services["vault"]): RetentionOperation {
  return { ...unit, effects: retentionEffects(unit, vault) };
}
