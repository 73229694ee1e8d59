import type { SendLimits } from "#bot/outbox/budgets";

/**
 * No pacing: tests of the pace are in test/outbox/sender.test.ts; the others send many
 * messages at one instant of a clock that does not move by itself.
 */
export const UNPACED: SendLimits = {
  perChatIntervalMs: 0,
  perGroupPerMinute: Number.POSITIVE_INFINITY,
  overallPerSecond: Number.POSITIVE_INFINITY,
};
