import type { Sql } from "postgres";
import { z } from "zod";
import { announcedChanges, type KeyedCache } from "#bot/lib/changes";
import type { Logger } from "#bot/lib/logger";
import { PEOPLE_CHANNEL } from "#db/people";

/**
 * A per-process cache of facts about people that forgets a person as soon as they change
 * anywhere. A value may be remembered only if nothing about the person changed since it
 * was read: take `readAt()` before reading the database and pass it to `set`.
 */
export type PersonCache<V> = KeyedCache<V>;

/**
 * Per-process caches of people and what keeps them true: every committed change to a
 * person is announced by the database (migration 0009) and every instance forgets them.
 */
export interface PeopleChanges {
  cache<V>(capacity: number): PersonCache<V>;
  /**
   * This process committed a change to the person: forget them now rather than when the
   * notification arrives, so its own next request or update already sees the change.
   */
  forget(userId: number): void;
  /** Starts listening; resolves once the database will tell this process of changes. */
  listen(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves once every change committed before the call has reached this process. */
  caughtUp(): Promise<void>;
  /** Resolves on the next (re)connect of the listening connection. */
  nextListen(): Promise<void>;
}

const personId = z
  .string()
  .regex(/^[1-9]\d{0,15}$/)
  .transform(Number);

export function peopleChanges(sql: Sql, log: Logger): PeopleChanges {
  const changes = announcedChanges(sql, log, PEOPLE_CHANNEL, (payload) => {
    const parsed = personId.safeParse(payload);
    return parsed.success ? [parsed.data] : null;
  });
  return {
    cache: (capacity) => changes.forgetting.cache(capacity),
    forget: (userId) => changes.forgetting.forget(userId),
    listen: () => changes.listen(),
    stop: () => changes.stop(),
    caughtUp: () => changes.caughtUp(),
    nextListen: () => changes.nextListen(),
  };
}
