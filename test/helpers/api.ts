import { sign } from "@telegram-apps/init-data-node";
import { expect } from "vitest";
import type { BotHarness } from "./bot.ts";
import { TEST_BOT_TOKEN } from "./fake-telegram.ts";
import type { TestUser } from "./updates.ts";

/** Init data for `user` as Telegram would give it to the Mini App, signed with the test bot's token. */
export function initDataFor(user: TestUser, authDate: Date, token = TEST_BOT_TOKEN): string {
  return sign(
    {
      user: {
        id: user.id,
        first_name: user.first_name,
        ...(user.last_name ? { last_name: user.last_name } : {}),
        ...(user.username ? { username: user.username } : {}),
        ...(user.language_code ? { language_code: user.language_code } : {}),
      },
      query_id: "AAHtest",
    },
    token,
    authDate,
  );
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  /** The parsed JSON body; undefined for an empty or non-JSON one. */
  body: unknown;
  text: string;
}

export interface CallOptions {
  /** Sent as JSON with Content-Type: application/json. */
  json?: unknown;
  /** Sent as is, with the given headers. */
  raw?: string;
  headers?: Record<string, string>;
}

/**
 * Calls the service's HTTP app in process, as `user` (init data signed a minute before the
 * bot's clock) or unauthenticated with null.
 */
export function apiClient(h: BotHarness) {
  return async function call(
    user: TestUser | null,
    method: string,
    path: string,
    options: CallOptions = {},
  ): Promise<ApiResponse> {
    const headers: Record<string, string> = {};
    if (user) {
      const authDate = new Date(h.bot.clock.now().getTime() - 60_000);
      headers.authorization = `tma ${initDataFor(user, authDate)}`;
    }
    let body: string | undefined;
    if (options.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(options.json);
    } else if (options.raw !== undefined) {
      body = options.raw;
    }
    // The lists the service keeps hear of changes by notification (bot/lib/list-cache.ts):
    // what the test changed before this request has reached them before it is answered.
    if (h.bot.app.taskLists.keeping()) await h.bot.app.taskLists.caughtUp();
    const response = await h.bot.app.http.request(path, {
      method,
      headers: { ...headers, ...options.headers },
      ...(body !== undefined ? { body } : {}),
    });
    const text = await response.text();
    // What the request queued for others (notices, card edits) is delivered before the test looks.
    await h.bot.drain();
    let parsed: unknown;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  };
}

export type Json = Record<string, unknown>;
export type ApiCall = ReturnType<typeof apiClient>;

/** Creates a task through POST /api/tasks as `user`; fails the test unless it answers 201. */
export function taskCreator(call: ApiCall) {
  return async function created(user: TestUser, json: Json): Promise<Json & { id: number }> {
    const response = await call(user, "POST", "/api/tasks", { json });
    expect(response.status).toBe(201);
    return response.body as Json & { id: number };
  };
}
