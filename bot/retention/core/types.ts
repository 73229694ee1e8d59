import type { IdHasher } from "#bot/lib/logger";
import type { Operation } from "#bot/lib/operation";
import type { RetentionSettings } from "#bot/lib/retention-settings";

export type { RetentionSettings } from "#bot/lib/retention-settings";
export type {
  MessageCounts,
  Period,
  PurgeRecord,
  RetentionChange,
  RetentionRules,
  TeamPeriod,
} from "#db/retention";

/** What a retention operation leaves for after its commit. */
export interface RetentionEffects {
  /**
   * These groups' period went from `before` to `days`: each is told once it has committed
   * (awaited: the messages are written to the outbox in the operation's transaction).
   */
  periodChanged(teamIds: readonly number[], days: number, before: number): unknown;
}

export type RetentionOperation = Operation<RetentionEffects>;

/** What retention's operations read besides the unit: the settings, and how audit names people. */
export interface RetentionDeps {
  hashId: IdHasher;
  retention: RetentionSettings;
}
