import type { Unit } from "#bot/lib/operation";
import type { BotContext } from "./context.ts";

/**
 * The update as a unit for the cores: its transaction (set by exactlyOnce), the service
 * clock's time, the sender, and the update's after-commit queue. The twin of http/unit.ts.
 */
export function unitOf(
  ctx: BotContext,
  sender: { id: number },
  now = ctx.services.clock.now(),
): Unit {
  return {
    db: ctx.db,
    now,
    actor: { userId: sender.id, isAdmin: ctx.services.adminIds.has(sender.id) },
    afterCommit: (effect) => ctx.afterCommit(effect),
  };
}
