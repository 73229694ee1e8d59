import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Api, Me } from "./api.ts";
import type { DeviceCache } from "./device-cache.ts";
import type { Platform } from "./platform.ts";

export type Screen =
  | { name: "tasks" }
  | { name: "task"; id: number }
  | { name: "new"; teamId: number | null }
  | { name: "privacy" };

export interface AppState {
  api: Api;
  platform: Platform;
  me: Me;
  /** Re-reads /api/me (after consent or retention changes). */
  reloadMe(): Promise<void>;
  open(screen: Screen): void;
  back(): void;
  /** The person's lists kept on this device; null where there is no storage. */
  cache: DeviceCache | null;
  /** Clock for "tomorrow" and "overdue"; tests pass a fixed one. */
  now(): Date;
}

export const AppContext = createContext<AppState | null>(null);

export function useApp(): AppState {
  const state = useContext(AppContext);
  if (!state) throw new Error("useApp outside the app");
  return state;
}
