import { type Api, createApi, type Fetch, type Me, type TaskPage } from "./api.ts";
import {
  type CachedList,
  type DeviceCache,
  deviceCache,
  deviceStorage,
  forgetAllLists,
  userIdOf,
} from "./device-cache.ts";
import type { Platform } from "./platform.ts";

/**
 * What the first screen needs, asked for by the entry module before anything renders:
 * /api/me and the opening list go out together, so the first rows wait for one round trip
 * instead of two, and the list kept on the device from last time can be shown meanwhile.
 */
export interface Opening {
  me: Promise<Me>;
  /** The list the app opens on: a team's (opened from its link) or "Assigned to me". */
  list: CachedList;
  teamId: number | null;
  page: Promise<TaskPage>;
  cache: DeviceCache | null;
}

export function startOpening(
  api: Api,
  platform: Pick<Platform, "initDataRaw" | "startTeamId">,
  cache: DeviceCache | null,
): Opening {
  const teamId = platform.startTeamId;
  const me = api.me();
  const page =
    teamId !== null
      ? api.tasks({ teamId, status: "open" })
      : api.tasks({ status: "open", assignee: "me" });
  // Whoever takes these handles their failures; unhandled until then is not an error.
  me.catch(() => {});
  page.catch(() => {});
  return { me, list: teamId !== null ? `team:${teamId}` : "assigned", teamId, page, cache };
}

/**
 * The API client and the opening requests for one launch. Any 401 forgets every list kept
 * on this device: the session is gone, and with it any claim to see those titles.
 */
export function openSession(
  platform: Pick<Platform, "initDataRaw" | "startTeamId">,
  fetchImpl: Fetch = (...args) => fetch(...args),
  storage: Storage | null = deviceStorage(),
): { api: Api; opening: Opening } {
  const api = createApi(platform.initDataRaw, fetchImpl, () => forgetAllLists(storage));
  const cache = deviceCache(storage, userIdOf(platform.initDataRaw));
  return { api, opening: startOpening(api, platform, cache) };
}
