import { ApiError } from "./api.ts";
import { t } from "./strings.ts";

/** What to tell a person about a failed request. */
export function humanError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 401) return t.errors.expired;
    if (error.status === 429) return t.errors.tooMany(error.retryAfterSeconds ?? 60);
    if (error.status === 0) return t.errors.offline;
    if (error.status === 404) return t.errors.notFound;
    if (error.code === "due_too_old") return t.errors.dueTooOld;
    if (error.status === 400 || error.status === 403) return error.message;
  }
  return t.errors.generic;
}
