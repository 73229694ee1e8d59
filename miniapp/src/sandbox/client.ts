import type { EventKind, SandboxEvent, SandboxMessage, SandboxState } from "./contract.ts";

export class SandboxError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "SandboxError";
  }
}

/** What the page needs of an EventSource: tests hand in a fake. */
export interface EventStream {
  addEventListener(kind: string, listener: (event: MessageEvent<string>) => void): void;
  close(): void;
}

export type OpenEvents = (url: string) => EventStream;

const API = "/sandbox/api";

/** The sandbox's HTTP API (/sandbox/api) for the page. */
export function sandboxClient(fetchImpl: typeof fetch) {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.headers = { "content-type": "application/json" };
      init.body = JSON.stringify(body);
    }
    let response: Response;
    try {
      response = await fetchImpl(`${API}${path}`, init);
    } catch {
      throw new SandboxError(0, "offline", "The sandbox does not answer. Is `npm start` running?");
    }
    if (response.status === 202 || response.status === 204) return undefined as T;
    const data: unknown = await response.json().catch(() => null);
    if (!response.ok) {
      const error = (data as { error?: { code?: unknown; message?: unknown } } | null)?.error;
      throw new SandboxError(
        response.status,
        typeof error?.code === "string" ? error.code : "failed",
        typeof error?.message === "string"
          ? error.message
          : `The sandbox answered ${response.status}.`,
      );
    }
    return data as T;
  }

  return {
    state: () => call<SandboxState>("GET", "/state"),
    messages: async (chatId: number, as: number) =>
      (await call<{ messages: SandboxMessage[] }>("GET", `/chats/${chatId}/messages?as=${as}`))
        .messages,
    send: (chatId: number, body: { as: number; text: string; replyTo?: number }) =>
      call<void>("POST", `/chats/${chatId}/messages`, body),
    press: (chatId: number, body: { as: number; messageId: number; data: string }) =>
      call<void>("POST", `/chats/${chatId}/press`, body),
    initData: async (as: number) =>
      (await call<{ initData: string }>("GET", `/init-data?as=${as}`)).initData,
    reset: () => call<void>("POST", "/reset"),
    demo: () => call<void>("POST", "/demo"),
    eventsUrl: (as: number) => `${API}/events?as=${as}`,
  };
}

export type SandboxClient = ReturnType<typeof sandboxClient>;

/** One server-sent event as the page uses it; null for anything malformed. */
export function parseEvent(kind: EventKind, data: string): SandboxEvent | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return null;
  }
  if (!parsed || typeof parsed !== "object") return null;
  const { chatId, message, messageId } = parsed as Record<string, unknown>;
  if (typeof chatId !== "number") return null;
  if (kind === "delete") {
    return typeof messageId === "number" ? { kind, chatId, messageId } : null;
  }
  if (!isMessage(message)) return null;
  return { kind, chatId, message };
}

function isMessage(value: unknown): value is SandboxMessage {
  if (!value || typeof value !== "object") return false;
  const m = value as Record<string, unknown>;
  return typeof m.id === "number" && typeof m.chatId === "number" && Array.isArray(m.buttons);
}

/**
 * A chat's messages after one event: idempotent, so an event that arrives while the list
 * is loading can be applied to the loaded list whether or not the list already had it.
 */
export function applyEvent(list: SandboxMessage[], event: SandboxEvent): SandboxMessage[] {
  if (event.kind === "delete") return list.filter((m) => m.id !== event.messageId);
  const at = list.findIndex((m) => m.id === event.message.id);
  if (at >= 0) return list.map((m, i) => (i === at ? event.message : m));
  if (event.kind === "edit") return list;
  return [...list, event.message].sort((a, b) => a.id - b.id);
}
