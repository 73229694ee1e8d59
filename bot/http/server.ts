import { Hono } from "hono";
import type { Sql } from "postgres";
import type { Logger } from "#bot/lib/logger";
import { describeError } from "#bot/lib/logger";

const error = (code: string, message: string) => ({ error: { code, message } });

/** The HTTP app: health probes here, capability routes mounted by createApp. */
export function createHttpApp(sql: Sql, log: Logger, routes: readonly Hono[]): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    try {
      await sql`select 1`;
      return c.json({ status: "ready" });
    } catch {
      return c.json(error("not_ready", "The database does not answer."), 503);
    }
  });
  for (const r of routes) app.route("/", r);
  app.notFound((c) => c.json(error("not_found", "Not found."), 404));
  app.onError((err, c) => {
    log.error({ path: c.req.routePath, err: describeError(err) }, "request failed");
    return c.json(error("internal", "Something went wrong."), 500);
  });
  return app;
}
