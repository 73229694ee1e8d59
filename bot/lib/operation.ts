import type { Db } from "#db/client";

/** Who acts: the Telegram user behind the update or the request. */
export interface Actor {
  userId: number;
  isAdmin: boolean;
}

/**
 * One unit of work as an edge hands it to a core: the update's or request's transaction,
 * the time it happens at, who acts, and what waits for the commit. The bot builds one per
 * update (telegram/updates.ts), the API one per request (http/unit.ts); a core operation
 * never sees which.
 */
export interface Unit {
  db: Db;
  now: Date;
  actor: Actor;
  /** Runs once the transaction has committed: messages to other people, cache updates. */
  afterCommit(effect: () => Promise<unknown>): void;
}

/**
 * What every core operation takes: a unit's transaction, time and actor, and the effects
 * its capability may leave for after the commit (each capability names its own).
 */
export interface Operation<Effects> {
  db: Db;
  now: Date;
  actor: Actor;
  effects: Effects;
}
