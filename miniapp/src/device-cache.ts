import type { Task } from "./api.ts";

/**
 * The last lists a person saw, kept on this device only (localStorage), so the app can show
 * them at once while the fresh ones load. They hold task titles, so they are keyed by the
 * Telegram user (two accounts on one device never see each other's), forgotten on erasure
 * and when the API refuses the session, and never put in Telegram's CloudStorage, which
 * would copy them to Telegram's servers.
 */

/** Raised when what is stored changes shape: older entries are then simply not read. */
const PREFIX = "task-tracker:list:v1:";

/** Which list: "assigned" (open, assigned to me) or a team's open list. */
export type CachedList = "assigned" | `team:${number}`;

export interface DeviceCache {
  /** Whose lists these are. */
  readonly userId: number;
  read(list: CachedList): Task[] | null;
  write(list: CachedList, tasks: Task[]): void;
  /** Forgets every list of this person (after they erased their data). */
  forget(): void;
}

/** This device's storage, or null where a WebView refuses it (storage disabled, sandboxed). */
export function deviceStorage(): Storage | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    return null;
  }
}

export function deviceCache(storage: Storage | null, userId: number | null): DeviceCache | null {
  if (!storage || userId === null) return null;
  const key = (list: CachedList) => `${PREFIX}${userId}:${list}`;
  return {
    userId,
    read(list) {
      try {
        const stored: unknown = JSON.parse(storage.getItem(key(list)) ?? "null");
        return Array.isArray(stored) ? (stored as Task[]) : null;
      } catch {
        return null;
      }
    },
    write(list, tasks) {
      try {
        storage.setItem(key(list), JSON.stringify(tasks));
      } catch {
        // A full or refused storage only costs the next start its head start.
      }
    },
    forget() {
      forgetKeys(storage, `${PREFIX}${userId}:`);
    },
  };
}

/** Forgets every person's lists: nobody is signed in any more (the API said 401). */
export function forgetAllLists(storage: Storage | null): void {
  if (storage) forgetKeys(storage, PREFIX);
}

function forgetKeys(storage: Storage, prefix: string): void {
  try {
    const keys = Array.from({ length: storage.length }, (_, i) => storage.key(i));
    for (const key of keys) if (key?.startsWith(prefix)) storage.removeItem(key);
  } catch {
    // Nothing could be stored either.
  }
}

/** The Telegram user id in the raw init data, or null when there is none. */
export function userIdOf(initDataRaw: string): number | null {
  try {
    const user: unknown = JSON.parse(new URLSearchParams(initDataRaw).get("user") ?? "null");
    const id = (user as { id?: unknown } | null)?.id;
    return typeof id === "number" && Number.isSafeInteger(id) ? id : null;
  } catch {
    return null;
  }
}
