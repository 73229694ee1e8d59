import { randomUUID } from "node:crypto";
import type { Sql } from "postgres";
import { z } from "zod";
import type { Logger } from "#bot/lib/logger";
import { LruCache } from "#bot/lib/lru";
import { announceMarker, listenForPeople } from "#db/people";

/**
 * A per-process cache of facts about people that forgets a person as soon as they change
 * anywhere. A value may be remembered only if nothing about the person changed since it
 * was read: take `readAt()` before reading the database and pass it to `set`.
 */
export interface PersonCache<V> {
  get(userId: number): V | undefined;
  /** Remembers `value` unless the person was forgotten after `readAt`. */
  set(userId: number, value: V, readAt: number): void;
  delete(userId: number): void;
  readAt(): number;
}

/**
 * Per-process caches of people and what keeps them true: every committed change to a
 * person is announced by the database (migration 0007) and every instance forgets them.
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

/** Bound on the forgets remembered one by one; older ones count as "forgot everyone". */
const REMEMBERED_FORGETS = 10_000;

const personId = z
  .string()
  .regex(/^[1-9]\d{0,15}$/)
  .transform(Number);

/**
 * The caches and their order of events, without the database: each forget takes a number
 * from one sequence, and a value read before a person's latest forget is not remembered.
 */
export class Forgetting {
  private sequence = 0;
  /** Below this, a read may predate a forget no longer listed: not remembered. */
  private floor = 0;
  /** Person → number of their latest forget, oldest first. */
  private readonly forgets = new Map<number, number>();
  private readonly caches: Array<LruCache<number, unknown>> = [];

  constructor(private readonly rememberedForgets = REMEMBERED_FORGETS) {}

  cache<V>(capacity: number): PersonCache<V> {
    const entries = new LruCache<number, V>(capacity);
    this.caches.push(entries as LruCache<number, unknown>);
    return {
      get: (userId) => entries.get(userId),
      set: (userId, value, readAt) => {
        if (this.forgottenSince(userId, readAt)) return;
        entries.set(userId, value);
      },
      delete: (userId) => entries.delete(userId),
      readAt: () => this.sequence,
    };
  }

  forget(userId: number): void {
    for (const entries of this.caches) entries.delete(userId);
    this.forgets.delete(userId);
    this.forgets.set(userId, ++this.sequence);
    if (this.forgets.size > this.rememberedForgets) {
      const [oldest] = this.forgets;
      if (oldest) {
        this.forgets.delete(oldest[0]);
        this.floor = oldest[1];
      }
    }
  }

  forgetEveryone(): void {
    for (const entries of this.caches) entries.clear();
    this.forgets.clear();
    this.floor = ++this.sequence;
  }

  private forgottenSince(userId: number, readAt: number): boolean {
    return readAt < this.floor || (this.forgets.get(userId) ?? 0) > readAt;
  }
}

export function peopleChanges(sql: Sql, log: Logger): PeopleChanges {
  const forgetting = new Forgetting();
  const markers = new Map<string, () => void>();
  let onNextListen: Array<() => void> = [];
  let unlisten: (() => Promise<void>) | undefined;
  let listening = false;
  let connects = 0;

  const onPayload = (payload: string) => {
    // postgres.js keeps calling a listener that was registered before a reconnect.
    if (!listening) return;
    const marker = markers.get(payload);
    if (marker) {
      markers.delete(payload);
      return marker();
    }
    if (payload.startsWith("marker:")) return;
    const parsed = personId.safeParse(payload);
    if (parsed.success) return forgetting.forget(parsed.data);
    log.warn("unexpected payload on the people channel: forgetting everyone");
    forgetting.forgetEveryone();
  };

  // Changes made while the connection was down were announced to nobody.
  const onListen = () => {
    if (!listening) return;
    forgetting.forgetEveryone();
    if (++connects > 1) log.info("listening for people changes again: caches cleared");
    const waiting = onNextListen;
    onNextListen = [];
    for (const resolve of waiting) resolve();
  };

  return {
    cache: (capacity) => forgetting.cache(capacity),
    forget: (userId) => forgetting.forget(userId),
    async listen() {
      if (listening) return;
      listening = true;
      try {
        unlisten = await listenForPeople(sql, onPayload, onListen);
      } catch (error) {
        listening = false;
        throw error;
      }
    },
    async stop() {
      listening = false;
      await unlisten?.();
      unlisten = undefined;
    },
    async caughtUp() {
      if (!listening) throw new Error("caughtUp() needs listen() first");
      const marker = `marker:${randomUUID()}`;
      const arrived = new Promise<void>((resolve) => markers.set(marker, resolve));
      await announceMarker(sql, marker);
      await arrived;
    },
    nextListen: () => new Promise<void>((resolve) => onNextListen.push(resolve)),
  };
}
