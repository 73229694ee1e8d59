import type { ConversationFlavor } from "@grammyjs/conversations";
import type { Context } from "grammy";
import type { Sql } from "postgres";
import type { Clock } from "#bot/lib/clock";
import type { IdHasher, Logger } from "#bot/lib/logger";
import type { Db } from "#db/client";

/** What every handler may use, built once by createApp and shared by all updates. */
export interface Services {
  /** The pool, for work outside an update's transaction (after-commit effects, jobs). */
  sql: Sql;
  clock: Clock;
  log: Logger;
  hashId: IdHasher;
}

/** Per-update state set by the exactly-once middleware. */
export interface UpdateScope {
  /** The update's transaction: all reads and writes of one update commit together. */
  db: Db;
  /** Runs once the update's transaction has committed (messages to other people). */
  afterCommit(effect: () => Promise<unknown>): void;
  /** The IANA timezone of the user behind the update ("UTC" until they set one). */
  viewerTimeZone: string;
}

export type BaseContext = Context & { app: Services } & UpdateScope;
export type BotContext = ConversationFlavor<BaseContext>;
