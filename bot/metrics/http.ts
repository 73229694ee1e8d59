import { createHash, timingSafeEqual } from "node:crypto";
import { Hono, type MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { Metrics } from "./registry.ts";

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/**
 * Counts and times every request by its route's pattern (`/api/tasks/:id`), never the raw
 * path (ids, and anything a client makes up). The pattern is that of the route that would
 * answer the request, found even when a middleware in front refused it (a 401 on
 * `/api/tasks` counts for `/api/tasks`); a path no route takes is `unmatched`.
 */
export function countRequests(metrics: Metrics): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const route = routeOf(c);
      const method = METHODS.has(c.req.method) ? c.req.method : "other";
      metrics.httpRequests.inc({ method, route, status: String(c.res.status) });
      metrics.httpSeconds.observe({ route }, (performance.now() - started) / 1000);
    }
  };
}

/** The last matched route that is a handler rather than a middleware (`use` is method ALL). */
function routeOf(c: Parameters<MiddlewareHandler>[0]): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const route = routes[i];
    if (route && route.method !== "ALL") return route.path;
  }
  return "unmatched";
}

const digest = (text: string) => createHash("sha256").update(text).digest();

/**
 * GET /metrics in Prometheus' text format, for `Authorization: Bearer <token>` only (401
 * otherwise). Mounted only when METRICS_TOKEN is set: without it, /metrics is an unknown path.
 */
export function metricsRoutes(registry: Metrics["registry"], token: string): Hono {
  const expected = digest(token);
  const routes = new Hono();
  routes.get("/metrics", async (c) => {
    const header = c.req.header("authorization") ?? "";
    const given = header.startsWith("Bearer ") ? header.slice(7) : "";
    // Digests of equal length, compared in constant time: neither the token nor its length leaks.
    if (!timingSafeEqual(digest(given), expected)) {
      return c.json(
        { error: { code: "unauthorized", message: "Send Authorization: Bearer <METRICS_TOKEN>." } },
        401,
        { "WWW-Authenticate": 'Bearer realm="metrics"' },
      );
    }
    return c.body(await registry.metrics(), 200, { "Content-Type": registry.contentType });
  });
  return routes;
}
