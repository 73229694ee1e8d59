/** The service's /api, typed as the README documents it. */

/**
 * How a task repeats. Weekdays are ISO (1 Monday … 7 Sunday); a monthly day past a
 * month's end means its last day; only an interval can count from completion.
 */
export type RepeatRule =
  | { every: "days"; days: number; from: "due" | "done" }
  | { every: "weekday" }
  | { every: "week"; weekdays: number[] }
  | { every: "month"; day: number };

export interface Task {
  id: number;
  teamId: number | null;
  title: string;
  description: string | null;
  status: "open" | "done";
  priority: "low" | "normal" | "high";
  creatorId: number | null;
  assigneeId: number | null;
  dueAt: string | null;
  /** false: a whole day set in the chat ("friday"), which has no time to remind at. */
  dueHasTime: boolean;
  doneAt: string | null;
  createdAt: string;
  updatedAt: string;
  sourceMessage: { chatId: number; messageId: number; text: string } | null;
  /** Minutes before the due time the task reminds at: each one of 0, 15, 60, 1440. */
  reminders: number[];
  repeat: RepeatRule | null;
  /** The series' first occurrence, once the task has repeated. */
  seriesId: number | null;
  /** The occurrence completing this one created. */
  nextId: number | null;
}

export interface Consent {
  granted: boolean;
  policyVersion: number | null;
  at: string | null;
}

export interface Me {
  user: {
    id: number;
    firstName: string;
    lastName: string | null;
    username: string | null;
    /** IANA name: UTC until the person sets one. */
    timezone: string;
  };
  consent: Consent;
  isAdmin: boolean;
  teams: Array<{ id: number; title: string }>;
}

export interface Member {
  id: number;
  firstName: string;
  username: string | null;
}

export interface StoredMessage {
  chatId: number;
  messageId: number;
  authorId: number;
  text: string;
  date: string;
}

export interface Retention {
  days: number;
  minDays: number;
  maxDays: number;
  teams: Array<{ teamId: number; days: number }>;
}

export type TaskInput = Partial<{
  title: string;
  description: string | null;
  teamId: number | null;
  assigneeId: number | null;
  dueAt: string | null;
  priority: Task["priority"];
  status: Task["status"];
  /** The whole set, sorted by the server; a non-empty one needs a due date and time. */
  reminders: number[];
  /** A rule, or null to stop repeating. */
  repeat: RepeatRule | null;
}>;

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

export function createApi(initDataRaw: string, fetchImpl: Fetch = (...args) => fetch(...args)) {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `tma ${initDataRaw}` };
    if (body !== undefined) headers["content-type"] = "application/json";
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
    if (response.status === 204) return undefined as T;
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
    return data as T;
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
    }) =>
      call<{ tasks: Task[]; nextCursor: string | null }>(
        "GET",
        `/api/tasks${query({ ...params, limit: 50 })}`,
      ),
    task: (id: number) => call<Task>("GET", `/api/tasks/${id}`),
    /** `sourceMessage`: the team's stored message it is made from, so its author stays known. */
    createTask: (input: TaskInput & { sourceMessage?: { chatId: number; messageId: number } }) =>
      call<Task>("POST", "/api/tasks", input),
    updateTask: (id: number, input: TaskInput) => call<Task>("PATCH", `/api/tasks/${id}`, input),
    /** Moves an open repeating task to its next date; 409 `not_repeating` otherwise. */
    skipOccurrence: (id: number) => call<Task>("POST", `/api/tasks/${id}/skip`),
    deleteTask: (id: number) => call<void>("DELETE", `/api/tasks/${id}`),
    members: (teamId: number) => call<{ members: Member[] }>("GET", `/api/teams/${teamId}/members`),
    messages: (teamId: number) =>
      call<{ messages: StoredMessage[] }>("GET", `/api/teams/${teamId}/messages?limit=20`),
    setConsent: (granted: boolean) => call<Consent>("PUT", "/api/me/consent", { granted }),
    setTimeZone: (timezone: string) => call<Me>("PATCH", "/api/me", { timezone }),
    exportData: async (): Promise<Blob> => {
      const response = await fetchImpl("/api/me/export", {
        headers: { authorization: `tma ${initDataRaw}` },
      });
      if (!response.ok) {
        const retry = Number(response.headers.get("retry-after"));
        throw new ApiError(response.status, "export", "export", retry > 0 ? retry : null);
      }
      return response.blob();
    },
    eraseMe: () =>
      call<{ deleted: Record<string, number> }>("DELETE", "/api/me", { confirm: "DELETE" }),
    retention: () => call<Retention>("GET", "/api/admin/retention"),
    setRetention: (days: number) => call<Retention>("PUT", "/api/admin/retention", { days }),
  };
}

export type Api = ReturnType<typeof createApi>;
