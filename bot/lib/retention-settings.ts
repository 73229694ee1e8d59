import type { RetentionRules } from "#db/retention";

/**
 * How retention is configured: the rules, and how the purge goes about it. Here rather
 * than in retention/ because the services (telegram/context.ts) carry it, and retention's
 * edges import telegram/: a type in lib keeps the two folders from importing each other.
 */
export interface RetentionSettings {
  rules: RetentionRules;
  /** Messages deleted per statement. */
  batchSize: number;
  auditRetentionDays: number;
  /** 0: no scheduled purge. */
  purgeIntervalMinutes: number;
}
