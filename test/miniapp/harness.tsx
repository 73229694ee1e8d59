import { render } from "@testing-library/preact";
import type { ComponentChildren } from "preact";
import { createApi, type Me } from "../../miniapp/src/api.ts";
import { AppContext, type AppState, type Screen } from "../../miniapp/src/context.ts";
import type { DeviceCache } from "../../miniapp/src/device-cache.ts";
import type { Platform } from "../../miniapp/src/platform.ts";

/** A request the app made through fetch. */
export interface Sent {
  method: string;
  path: string;
  body: unknown;
}

type Reply = { status?: number; json?: unknown; headers?: Record<string, string> };

/**
 * The network, faked at fetch: `routes` maps "METHOD /path" (query included) to a reply,
 * or to a function of the request (which may hold its answer back: a promise). Unknown
 * requests fail the test loudly.
 */
export function fakeFetch(
  routes: Record<string, Reply | ((sent: Sent) => Reply | Promise<Reply>)>,
) {
  const sent: Sent[] = [];
  const impl = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const path = String(input);
    const method = init?.method ?? "GET";
    const body = typeof init?.body === "string" ? JSON.parse(init.body) : undefined;
    const request = { method, path, body };
    sent.push(request);
    const route = routes[`${method} ${path}`];
    if (!route) throw new Error(`unexpected request ${method} ${path}`);
    const reply = typeof route === "function" ? await route(request) : route;
    const status = reply.status ?? 200;
    return new Response(status === 204 ? null : JSON.stringify(reply.json ?? {}), {
      status,
      headers: { "content-type": "application/json", ...reply.headers },
    });
  };
  return { fetch: impl as typeof fetch, sent };
}

/** An answer held back until the test releases it. */
export function held(reply: Reply) {
  let release = () => {};
  const answered = new Promise<Reply>((resolve) => {
    release = () => resolve(reply);
  });
  return { route: () => answered, release };
}

/** A Platform that records what the app asked of Telegram. */
export function fakePlatform(overrides: Partial<Platform> = {}) {
  const calls: string[] = [];
  let mainClick: (() => void) | undefined;
  let mainText: string | null = null;
  const platform: Platform = {
    initDataRaw: "user=%7B%7D&hash=x",
    startTeamId: null,
    canDownloadFiles: true,
    mainButton: {
      show(text, onClick) {
        mainText = text;
        mainClick = onClick;
        calls.push(`main:${text}`);
      },
      setLoading(loading) {
        calls.push(`main-loading:${loading}`);
      },
      hide() {
        mainText = null;
        mainClick = undefined;
      },
    },
    backButton: { show: () => calls.push("back:show"), hide: () => calls.push("back:hide") },
    haptic: (kind) => calls.push(`haptic:${kind}`),
    confirmClosing: (enabled) => calls.push(`closing:${enabled}`),
    openTelegramLink: (url) => calls.push(`link:${url}`),
    ...overrides,
  };
  return {
    platform,
    calls,
    mainText: () => mainText,
    pressMain: () => {
      if (!mainClick) throw new Error("the main button is hidden");
      mainClick();
    },
  };
}

export const ME: Me = {
  user: {
    id: 1001,
    firstName: "Alice",
    lastName: null,
    username: "alice",
    languageCode: "en",
    timezone: "UTC",
  },
  consent: { granted: false, policyVersion: null, at: null },
  isAdmin: false,
  teams: [{ id: -100123, title: "Core team" }],
};

/** Renders a screen inside the app's context, with the network and Telegram faked. */
export function renderScreen(
  screen: ComponentChildren,
  options: {
    fetch: typeof fetch;
    platform: Platform;
    me?: Me;
    now?: Date;
    cache?: DeviceCache | null;
  },
) {
  const opened: Screen[] = [];
  let wentBack = 0;
  const state: AppState = {
    api: createApi(options.platform.initDataRaw, options.fetch),
    platform: options.platform,
    me: options.me ?? ME,
    reloadMe: async () => {},
    open: (next) => opened.push(next),
    back: () => {
      wentBack++;
    },
    now: () => options.now ?? new Date("2026-11-28T10:00:00Z"),
    cache: options.cache ?? null,
  };
  const view = render(<AppContext.Provider value={state}>{screen}</AppContext.Provider>);
  return { ...view, opened, wentBack: () => wentBack };
}

export function task(
  fields: Partial<import("../../miniapp/src/api.ts").Task> & { id: number; title: string },
) {
  return {
    teamId: null,
    description: null,
    status: "open" as const,
    priority: "normal" as const,
    creatorId: 1001,
    assigneeId: null,
    dueAt: null,
    doneAt: null,
    createdAt: "2026-11-27T10:00:00Z",
    updatedAt: "2026-11-27T10:00:00Z",
    sourceMessage: null,
    reminders: [] as import("../../miniapp/src/api.ts").Task["reminders"],
    repeat: null,
    seriesId: null,
    nextId: null,
    ...fields,
    // As the API has it: a due set in the app has a time; one set in the chat may not.
    dueHasTime: fields.dueHasTime ?? (fields.dueAt ?? null) !== null,
  };
}
