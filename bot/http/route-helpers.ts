import { createHash } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { Hono } from "hono";
import { cors } from "hono/cors";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import { type DomainErrorKind, invalid } from "#bot/lib/errors";
import type { Unit } from "#bot/lib/operation";
import { limitBody } from "./body-limit.ts";

/**
 * The Mini App's JSON API: what every route shares. Errors are always
 * `{"error":{"code","message"}}`; the edge turns domain errors (#bot/lib/errors) and
 * ApiError into that, anything else into a 500 that names only the request id.
 */

export interface Caller {
  id: number;
  firstName: string;
  isAdmin: boolean;
}

/** `unit`: the request's transaction, time, caller and after-commit queue (http/unit.ts). */
export type ApiEnv = { Variables: { requestId: string; caller: Caller; unit: Unit } };
export type ApiContext = Context<ApiEnv>;

/** Refusals only HTTP has (401, 413, 415, 429): the domain's own go through #bot/lib/errors. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** How the API answers each kind of domain error. */
export const DOMAIN_STATUS: Record<DomainErrorKind, ContentfulStatusCode> = {
  not_found: 404,
  forbidden: 403,
  conflict: 409,
  invalid: 400,
};
export const tooManyRequests = (retryAfterSeconds: number) =>
  new ApiError(429, "rate_limited", `Too many requests: try again in ${retryAfterSeconds} s.`, {
    "Retry-After": String(retryAfterSeconds),
  });

export function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

/** The first problem zod found, said for people: `title: too long (at most 200)`. */
function describeIssues(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "The input is not valid.";
  if (issue.code === "unrecognized_keys") return `Unknown field: ${issue.keys.join(", ")}.`;
  const where = issue.path.join(".");
  return where ? `${where}: ${issue.message}` : issue.message;
}

export function parseWith<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalid(describeIssues(parsed.error));
  return parsed.data;
}

/** The JSON body, parsed with `schema`: 415 without a JSON content type, 400 when malformed. */
export async function readBody<T>(c: ApiContext, schema: z.ZodType<T>): Promise<T> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new ApiError(415, "unsupported_media_type", "Send the body as application/json.");
  }
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    throw invalid("The body is not valid JSON.");
  }
  return parseWith(schema, body);
}

export const MAX_BODY_BYTES = 64 * 1024;

/** Bodies over 64 KiB are refused before they are read. */
export const limitApiBody = limitBody(
  MAX_BODY_BYTES,
  `The body is over ${MAX_BODY_BYTES / 1024} KiB.`,
);

/**
 * CORS for the listed origins only. A preflight from any other origin gets an empty 204
 * without CORS headers, so the browser refuses the real request.
 */
export function corsFor(origins: readonly string[]): MiddlewareHandler {
  const allowed = new Set(origins);
  const withHeaders = cors({
    origin: (origin) => (allowed.has(origin) ? origin : null),
    allowMethods: ["GET", "POST", "PATCH", "PUT", "DELETE"],
    allowHeaders: ["Authorization", "Content-Type", "X-Request-Id", "If-None-Match"],
    exposeHeaders: ["X-Request-Id", "Retry-After", "Content-Disposition", "ETag"],
    maxAge: 600,
  });
  return async (c, next) => {
    const origin = c.req.header("origin");
    if (origin !== undefined && allowed.has(origin)) return withHeaders(c, next);
    if (c.req.method === "OPTIONS") return c.body(null, 204);
    return next();
  };
}

/** Keyset cursors are opaque to clients: base64url of the position. */
export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position)).toString("base64url");
}

export function decodeCursor<T>(cursor: string, schema: z.ZodType<T>): T {
  try {
    return parseWith(schema, JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
  } catch {
    throw invalid("cursor: not a cursor this API gave out.");
  }
}

/** Query limits: 1-100, default 50. */
export const limitParam = z.coerce
  .number({ error: "must be a whole number from 1 to 100" })
  .int({ error: "must be a whole number from 1 to 100" })
  .min(1, { error: "must be a whole number from 1 to 100" })
  .max(100, { error: "must be a whole number from 1 to 100" })
  .default(50);

/** A Telegram chat id of a group, as routes and fields carry it. */
export const teamIdParam = z.coerce
  .number({ error: "must be a Telegram chat id" })
  .int({ error: "must be a Telegram chat id" })
  .refine((id) => id < 0 && Number.isSafeInteger(id), { error: "must be a group's chat id" });

export const idParam = z.coerce
  .number({ error: "must be a positive whole number" })
  .int({ error: "must be a positive whole number" })
  .positive({ error: "must be a positive whole number" })
  .max(Number.MAX_SAFE_INTEGER);

export function apiRouter(): Hono<ApiEnv> {
  return new Hono<ApiEnv>();
}

/** A weak validator of an answer's exact bytes. */
export function etagOf(body: string): string {
  return `W/"${createHash("sha1").update(body).digest("base64url")}"`;
}

/** If-None-Match names `etag` (weak comparison, as RFC 9110 asks for this header), or is `*`. */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, "");
  const wanted = opaque(etag);
  return ifNoneMatch.split(",").some((tag) => tag.trim() === "*" || opaque(tag) === wanted);
}

/**
 * A JSON answer that may be conditional: with its ETag, and 304 without a body when the
 * client already holds it. `body` is called only for a 200.
 */
export function conditionalJson(
  c: ApiContext,
  etag: string,
  body: () => string | Uint8Array<ArrayBuffer>,
): Response {
  c.header("ETag", etag);
  if (matchesEtag(c.req.header("if-none-match"), etag)) return c.body(null, 304);
  return c.body(body(), 200, { "Content-Type": "application/json" });
}
