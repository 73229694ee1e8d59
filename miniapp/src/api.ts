/**
 * The service's /api, typed by the service's own contracts: each capability's contract.ts
 * (zod schemas and JSON shapes) is imported as types only, so the app carries none of the
 * service's code and cannot drift from what the routes accept and answer.
 */
import type { ConsentJson, ErasedJson, MeJson } from "../../bot/privacy/contract.ts";
import type { RetentionJson } from "../../bot/retention/contract.ts";
import type { NewTaskBody, TaskChangesBody, TaskJson } from "../../bot/tasks/contract.ts";
import type {
  MemberJson,
  MembersJson,
  MessagesJson,
  StoredMessageJson,
} from "../../bot/teams/contract.ts";

export type { RepeatRule } from "../../bot/tasks/contract.ts";
export type Task = TaskJson;
export type Consent = ConsentJson;
export type Me = MeJson;
export type Member = MemberJson;
export type StoredMessage = StoredMessageJson;
export type Retention = RetentionJson;
/** The fields a change sends; only those present change. */
export type TaskInput = TaskChangesBody;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds: number | null,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export type Fetch = typeof fetch;

/** One page of a task list, as GET /api/tasks answers it. */
export type TaskPage = { tasks: Task[]; nextCursor: string | null };

/** Answers remembered for conditional GETs: enough for every screen and its filters. */
const REMEMBERED_ANSWERS = 32;

/** `onUnauthorized`: told of every 401, so the app can forget what it kept on the device. */
export function createApi(
  initDataRaw: string,
  fetchImpl: Fetch = (...args) => fetch(...args),
  onUnauthorized: () => void = () => {},
) {
  // Per path, the last answer with its ETag: a refresh or a return to a screen asks with
  // If-None-Match and reuses it on 304. Memory only; it goes with the page.
  const remembered = new Map<string, { etag: string; data: unknown }>();

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `tma ${initDataRaw}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    const known = method === "GET" ? remembered.get(path) : undefined;
    if (known) headers["if-none-match"] = known.etag;
    let response: Response;
    try {
      response = await fetchImpl(path, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch {
      throw new ApiError(0, "offline", "offline", null);
    }
    if (response.status === 401) onUnauthorized();
    if (response.status === 204) return undefined as T;
    if (response.status === 304 && known) return known.data as T;
    const data: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      const error = (data as { error?: { code?: string; message?: string } } | undefined)?.error;
      const retry = Number(response.headers.get("retry-after"));
      throw new ApiError(
        response.status,
        error?.code ?? "unknown",
        error?.message ?? response.statusText,
        Number.isFinite(retry) && retry > 0 ? retry : null,
      );
    }
    const etag = response.headers.get("etag");
    if (method === "GET" && etag) remember(path, etag, data);
    return data as T;
  }

  function remember(path: string, etag: string, data: unknown) {
    remembered.delete(path);
    remembered.set(path, { etag, data });
    const [oldest] = remembered.keys();
    if (remembered.size > REMEMBERED_ANSWERS && oldest !== undefined) remembered.delete(oldest);
  }

  const query = (params: Record<string, string | number | undefined>) => {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (value !== undefined) search.set(key, String(value));
    }
    const text = search.toString();
    return text ? `?${text}` : "";
  };

  return {
    me: () => call<Me>("GET", "/api/me"),
    tasks: (params: {
      teamId?: number;
      status: "open" | "done";
      assignee?: "me" | "any";
      cursor?: string;
    }) => call<TaskPage>("GET", `/api/tasks${query({ ...params, limit: 50 })}`),
    task: (id: number) => call<Task>("GET", `/api/tasks/${id}`),
    /** `sourceMessage`: the team's stored message it is made from, so its author stays known. */
    createTask: (input: NewTaskBody) => call<Task>("POST", "/api/tasks", input),
    updateTask: (id: number, input: TaskInput) => call<Task>("PATCH", `/api/tasks/${id}`, input),
    /** Moves an open repeating task to its next date; 409 `not_repeating` otherwise. */
    skipOccurrence: (id: number) => call<Task>("POST", `/api/tasks/${id}/skip`),
    deleteTask: (id: number) => call<void>("DELETE", `/api/tasks/${id}`),
    members: (teamId: number) => call<MembersJson>("GET", `/api/teams/${teamId}/members`),
    messages: (teamId: number) =>
      call<MessagesJson>("GET", `/api/teams/${teamId}/messages?limit=20`),
    setConsent: (granted: boolean) => call<Consent>("PUT", "/api/me/consent", { granted }),
    setTimeZone: (timezone: string) => call<Me>("PATCH", "/api/me", { timezone }),
    exportData: async (): Promise<Blob> => {
      const response = await fetchImpl("/api/me/export", {
        headers: { authorization: `tma ${initDataRaw}` },
      });
      if (response.status === 401) onUnauthorized();
      if (!response.ok) {
        const retry = Number(response.headers.get("retry-after"));
        throw new ApiError(response.status, "export", "export", retry > 0 ? retry : null);
      }
      return response.blob();
    },
    eraseMe: async () => {
      const erased = await call<ErasedJson>("DELETE", "/api/me", { confirm: "DELETE" });
      remembered.clear();
      return erased;
    },
    retention: () => call<Retention>("GET", "/api/admin/retention"),
    setRetention: (days: number) => call<Retention>("PUT", "/api/admin/retention", { days }),
  };
}

export type Api = ReturnType<typeof createApi>;
