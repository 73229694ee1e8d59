import { randomBytes } from "node:crypto";
import { Hono, type MiddlewareHandler } from "hono";
import { requestId } from "hono/request-id";
import type { Sql } from "postgres";
import { DomainError } from "#bot/lib/errors";
import type { Logger } from "#bot/lib/logger";
import { describeError } from "#bot/lib/logger";
import { ApiError, DOMAIN_STATUS, errorBody } from "./route-helpers.ts";

/** Pages may be framed only by Telegram's web clients; no inline script or style anywhere. */
const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: https://t.me",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'self' https://web.telegram.org",
].join("; ");
const DATA_CSP = "default-src 'none'; frame-ancestors 'none'";

export interface HttpOptions {
  /** PUBLIC_URL is https: browsers are told to stay on https. */
  https: boolean;
  /** What the service still waits for before it can serve (undefined: nothing). */
  waitingFor?: () => string | undefined;
  /** Counts and times every request (the metrics); first, so it sees every answer. */
  countRequests?: MiddlewareHandler;
}

/**
 * The HTTP app: request ids, security headers and errors for everything; health probes
 * here; capability routes mounted by createApp.
 */
export function createHttpApp(
  sql: Sql,
  log: Logger,
  routes: readonly Hono[],
  options: HttpOptions = { https: false },
): Hono {
  const app = new Hono();
  // Taken from the request when well-formed (letters, digits, - _ =, up to 64), else new:
  // this process's random prefix and a counter, unique without a random UUID per request.
  const prefix = randomBytes(9).toString("base64url");
  let requests = 0;
  if (options.countRequests) app.use(options.countRequests);
  app.use(
    requestId({
      headerName: "X-Request-Id",
      limitLength: 64,
      generator: () => `${prefix}-${(++requests).toString(36)}`,
    }),
  );
  app.use(async (c, next) => {
    await next();
    const headers = c.res.headers;
    const html = headers.get("content-type")?.startsWith("text/html") ?? false;
    headers.set("Content-Security-Policy", html ? PAGE_CSP : DATA_CSP);
    headers.set("X-Content-Type-Options", "nosniff");
    headers.set("Referrer-Policy", "strict-origin-when-cross-origin");
    if (options.https) {
      headers.set("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    }
  });
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    const waiting = options.waitingFor?.();
    if (waiting) return c.json(errorBody("not_ready", `Not ready: ${waiting}.`), 503);
    try {
      await sql`select 1`;
      return c.json({ status: "ready" });
    } catch {
      return c.json(errorBody("not_ready", "The database does not answer."), 503);
    }
  });
  for (const r of routes) app.route("/", r);
  app.notFound((c) => c.json(errorBody("not_found", "Not found."), 404));
  app.onError((err, c) => {
    if (err instanceof DomainError) {
      return c.json(errorBody(err.code, err.message), DOMAIN_STATUS[err.kind]);
    }
    if (err instanceof ApiError) {
      return c.json(errorBody(err.code, err.message), err.status, err.headers);
    }
    const id = c.get("requestId");
    log.error({ requestId: id, path: c.req.routePath, err: describeError(err) }, "request failed");
    return c.json(
      errorBody("internal", `Something went wrong on our side. Request id: ${id}.`),
      500,
    );
  });
  return app;
}
