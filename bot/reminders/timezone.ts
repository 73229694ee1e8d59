/**
 * canonicalTimeZone lives in lib/ (it knows nothing of reminders); this re-export keeps
 * the old path working until privacy/core/me.ts imports #bot/lib/time-zone itself.
 */
export { canonicalTimeZone } from "#bot/lib/time-zone";
