import type { ConversationFlavor } from "@grammyjs/conversations";
import type { Context } from "grammy";
import type { ChatMember } from "grammy/types";
import type { Sql } from "postgres";
import type { BackgroundWork } from "#bot/lib/background";
import type { Clock } from "#bot/lib/clock";
import type { TaskListCache } from "#bot/lib/list-cache";
import type { IdHasher, Logger } from "#bot/lib/logger";
import type { RetentionSettings } from "#bot/lib/retention-settings";
import type { OutgoingCall } from "#bot/outbox/queue";
import type { PeopleChanges } from "#bot/people/changes";
import type { Db } from "#db/client";
import type { Vault } from "#db/vault";

/** What every handler may use, built once by createApp and shared by all updates. */
export interface Services {
  /** The pool, for work outside an update's transaction (after-commit effects, jobs). */
  sql: Sql;
  clock: Clock;
  log: Logger;
  /** Keyed hash of a user id: how logs and the audit trail name people. */
  hashId: IdHasher;
  /** Seals personal fields at rest. */
  vault: Vault;
  /** Bot admins (ADMIN_IDS). */
  adminIds: ReadonlySet<number>;
  retention: RetentionSettings;
  /** The Mini App's https address (PUBLIC_URL), or null when it cannot be opened in Telegram. */
  miniAppUrl: string | null;
  /** Per-process caches of people, forgotten when a person changes on any instance. */
  people: PeopleChanges;
  /** The API's task lists as answered, kept while nothing they show changes. */
  taskLists: TaskListCache;
  /** After-commit work nobody waits for; stop() waits for it. */
  background: BackgroundWork;
}

/**
 * The user behind the update, as the database knows them. Handlers that change these
 * (consent, timezone) update this object; the change is remembered once it commits.
 */
export interface Viewer {
  timeZone: string;
  consentVersion: number | null;
  consentPromptedVersion: number | null;
}

/** Per-update state set by the exactly-once middleware. */
export interface UpdateScope {
  /** The update's transaction: all reads and writes of one update commit together. */
  db: Db;
  /** Runs once the update's transaction has committed (messages to other people). */
  afterCommit(effect: () => Promise<unknown>): void;
  /**
   * The update's own outbox calls, beside what ctx.reply and the edits queue by themselves:
   * for a message whose id Telegram answers with is to be written back.
   */
  outgoing: { queue(call: OutgoingCall): void };
  viewer: Viewer;
  /**
   * The sender's standing in the group, asked of Telegram before the transaction for the
   * commands that need it (telegram/sender-status.ts); undefined otherwise.
   */
  senderStatus?: ChatMember["status"];
}

/**
 * What became of an update, told by the pipeline's stages for the metrics: handled, batched
 * (group chatter written in a batch), duplicate, rate_limited, failed (its handler failed and
 * it was answered with an apology) or error (not processed: Telegram delivers it again).
 */
export type UpdateOutcome =
  | "handled"
  | "batched"
  | "duplicate"
  | "rate_limited"
  | "failed"
  | "error";

export type BaseContext = Context & { services: Services; outcome?: UpdateOutcome } & UpdateScope;
export type BotContext = ConversationFlavor<BaseContext>;
