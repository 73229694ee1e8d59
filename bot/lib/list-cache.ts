import type { Sql } from "postgres";
import { type AnnouncedChanges, announcedChanges, type DependentCache } from "#bot/lib/changes";
import type { Logger } from "#bot/lib/logger";
import { LISTS_CHANNEL } from "#db/task-list-json";

/**
 * The API's task lists as answered, kept in this process while nothing they show changes:
 * an unchanged list costs no statement, whether it is sent again or answered 304. The
 * database announces every committed change to what a list shows (migration 0013) with the
 * keys it touched: a team's id for the team's lists, a person's id for the lists of their
 * own tasks; whatever depends on one of them is forgotten on every instance. What a list
 * cannot hear of, time, bounds it too: an entry goes when the first source message it shows
 * leaves its retention period, and after MAX_AGE_MS in any case (a notification lost with a
 * connection that died without a reset is not waited for longer than that). Nothing is kept
 * while this process is not listening.
 */
export interface TaskListCache {
  /** Whether a person belongs to a team, by `${teamId}:${userId}`. */
  readonly membership: DependentCache<boolean>;
  /** Lists by request (see core/list.ts). */
  readonly lists: DependentCache<KeptList>;
  /** False while not listening: nothing may be read from or kept in the caches. */
  keeping(): boolean;
  readAt(): number;
  listen(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves once every change committed before the call has reached this process. */
  caughtUp(): Promise<void>;
  nextListen(): Promise<void>;
}

export interface KeptList {
  etag: string;
  /** The answer's body in UTF-8, opened once, when first sent. */
  body: () => Uint8Array<ArrayBuffer>;
  /** Clock time (ms) after which the entry no longer holds. */
  validUntilMs: number;
}

/** The longest a list is kept without hearing that it changed. */
export const MAX_AGE_MS = 60_000;
/** Lists kept: about 18 kB each for 50 tasks, so ~9 MB; at most 100 tasks, ~30 MB. */
const KEPT_LISTS = 500;
const KEPT_MEMBERSHIPS = 20_000;

const KEYS = /^-?[1-9]\d{0,15}(,-?[1-9]\d{0,15})*$/;

/** A payload of migration 0013: "*" or comma-separated keys. */
export function listKeysOf(payload: string): readonly number[] | "everything" | null {
  if (payload === "*") return "everything";
  if (!KEYS.test(payload)) return null;
  return payload.split(",").map(Number);
}

export function taskListCache(sql: Sql, log: Logger): TaskListCache {
  const changes: AnnouncedChanges = announcedChanges(sql, log, LISTS_CHANNEL, listKeysOf);
  const lists = changes.forgetting.dependentCache<KeptList>(KEPT_LISTS);
  return {
    membership: changes.forgetting.dependentCache(KEPT_MEMBERSHIPS),
    lists,
    keeping: () => changes.listening(),
    readAt: () => lists.readAt(),
    listen: () => changes.listen(),
    stop: () => changes.stop(),
    caughtUp: () => changes.caughtUp(),
    nextListen: () => changes.nextListen(),
  };
}
