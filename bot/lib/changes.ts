import { randomUUID } from "node:crypto";
import type { Sql } from "postgres";
import type { Logger } from "#bot/lib/logger";
import { LruCache } from "#bot/lib/lru";
import { announceMarker, listenWithPayloads } from "#db/listen";

/**
 * Per-process caches kept true by the database: every committed change is announced on a
 * channel (a trigger sends the keys it touched) and every instance forgets what depends on
 * those keys. A key is a number: a person's id, a team's (negative) chat id.
 */

/** A cache of one value per key, forgotten when its key changes. */
export interface KeyedCache<V> {
  get(key: number): V | undefined;
  /** Remembers `value` unless `key` was forgotten after `readAt`. */
  set(key: number, value: V, readAt: number): void;
  delete(key: number): void;
  /** Take before reading the database; pass to `set`. */
  readAt(): number;
}

/** A cache of values that each depend on several keys, forgotten when any of them changes. */
export interface DependentCache<V> {
  get(name: string): V | undefined;
  /** Remembers `value` unless one of `keys` was forgotten after `readAt`. */
  set(name: string, value: V, keys: readonly number[], readAt: number): void;
  readAt(): number;
}

/** Bound on the forgets remembered one by one; older ones count as "forgot everything". */
const REMEMBERED_FORGETS = 10_000;

/**
 * The caches and their order of events, without the database: each forget takes a number
 * from one sequence, and a value read before the latest forget of its key is not remembered.
 */
export class Forgetting {
  private sequence = 0;
  /** Below this, a read may predate a forget no longer listed: not remembered. */
  private floor = 0;
  /** Key → number of its latest forget, oldest first. */
  private readonly forgets = new Map<number, number>();
  private readonly caches: Array<{ delete(key: number): void; clear(): void }> = [];

  constructor(private readonly rememberedForgets = REMEMBERED_FORGETS) {}

  cache<V>(capacity: number): KeyedCache<V> {
    const entries = new LruCache<number, V>(capacity);
    this.caches.push(entries);
    return {
      get: (key) => entries.get(key),
      set: (key, value, readAt) => {
        if (this.forgottenSince(key, readAt)) return;
        entries.set(key, value);
      },
      delete: (key) => entries.delete(key),
      readAt: () => this.sequence,
    };
  }

  /**
   * Entries are checked when read rather than found when a key is forgotten: a value read
   * before the latest forget of any of its keys is gone.
   */
  dependentCache<V>(capacity: number): DependentCache<V> {
    const entries = new LruCache<string, { value: V; keys: readonly number[]; readAt: number }>(
      capacity,
    );
    this.caches.push({ delete: () => {}, clear: () => entries.clear() });
    return {
      get: (name) => {
        const entry = entries.get(name);
        if (!entry) return undefined;
        if (entry.keys.some((key) => this.forgottenSince(key, entry.readAt))) {
          entries.delete(name);
          return undefined;
        }
        return entry.value;
      },
      set: (name, value, keys, readAt) => {
        if (keys.some((key) => this.forgottenSince(key, readAt))) return;
        entries.set(name, { value, keys, readAt });
      },
      readAt: () => this.sequence,
    };
  }

  forget(key: number): void {
    for (const entries of this.caches) entries.delete(key);
    this.forgets.delete(key);
    this.forgets.set(key, ++this.sequence);
    if (this.forgets.size > this.rememberedForgets) {
      const [oldest] = this.forgets;
      if (oldest) {
        this.forgets.delete(oldest[0]);
        this.floor = oldest[1];
      }
    }
  }

  forgetEverything(): void {
    for (const entries of this.caches) entries.clear();
    this.forgets.clear();
    this.floor = ++this.sequence;
  }

  private forgottenSince(key: number, readAt: number): boolean {
    return readAt < this.floor || (this.forgets.get(key) ?? 0) > readAt;
  }
}

/** A channel's announcements, heard by this process. */
export interface AnnouncedChanges {
  readonly forgetting: Forgetting;
  /** Starts listening; resolves once the database will tell this process of changes. */
  listen(): Promise<void>;
  /** Whether changes are heard now: caches hold nothing they could not keep true otherwise. */
  listening(): boolean;
  stop(): Promise<void>;
  /** Resolves once every change committed before the call has reached this process. */
  caughtUp(): Promise<void>;
  /** Resolves on the next (re)connect of the listening connection. */
  nextListen(): Promise<void>;
}

/**
 * Listens on `channel`: `keysOf` reads a payload as the keys to forget (null: a payload this
 * version does not know, so everything is forgotten). Payloads starting with "marker:" are
 * this process's own, for `caughtUp`. While the connection was down nothing was heard, so
 * every (re)connect forgets everything.
 */
export function announcedChanges(
  sql: Sql,
  log: Logger,
  channel: string,
  keysOf: (payload: string) => readonly number[] | "everything" | null,
): AnnouncedChanges {
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
    const keys = keysOf(payload);
    if (keys === "everything") return forgetting.forgetEverything();
    if (keys) {
      for (const key of keys) forgetting.forget(key);
      return;
    }
    log.warn({ channel }, "unexpected payload: forgetting everything");
    forgetting.forgetEverything();
  };

  const onListen = () => {
    if (!listening) return;
    forgetting.forgetEverything();
    if (++connects > 1) log.info({ channel }, "listening for changes again: caches cleared");
    const waiting = onNextListen;
    onNextListen = [];
    for (const resolve of waiting) resolve();
  };

  return {
    forgetting,
    async listen() {
      if (listening) return;
      listening = true;
      try {
        unlisten = await listenWithPayloads(sql, channel, onPayload, onListen);
      } catch (error) {
        listening = false;
        throw error;
      }
    },
    listening: () => listening,
    async stop() {
      listening = false;
      await unlisten?.();
      unlisten = undefined;
      forgetting.forgetEverything();
    },
    async caughtUp() {
      if (!listening) throw new Error("caughtUp() needs listen() first");
      const marker = `marker:${randomUUID()}`;
      const arrived = new Promise<void>((resolve) => markers.set(marker, resolve));
      await announceMarker(sql, channel, marker);
      await arrived;
    },
    nextListen: () => new Promise<void>((resolve) => onNextListen.push(resolve)),
  };
}
