import { Hono } from "hono";
import { type Authentication, authenticate } from "#bot/http/auth/middleware";
import { forbidden } from "#bot/lib/errors";
import { auditRoutes, meRoutes } from "#bot/privacy/api-routes";
import { retentionRoutes } from "#bot/retention/routes";
import { taskRoutes } from "#bot/tasks/routes";
import { teamRoutes } from "#bot/teams/routes";
import type { Services } from "#bot/telegram/context";
import { type ApiEnv, corsFor, limitApiBody } from "./route-helpers.ts";
import { unitPerRequest } from "./unit.ts";

/**
 * /api: CORS, the body limit and authentication in front of every capability's routes;
 * the admin routes behind one more check; then each request is one unit (http/unit.ts).
 */
export function miniAppApi(options: {
  app: Services;
  auth: Authentication;
  corsOrigins: readonly string[];
}): Hono {
  const { app } = options;
  const api = new Hono<ApiEnv>();
  api.use(corsFor(options.corsOrigins));
  api.use(limitApiBody);
  api.use(authenticate(app, options.auth));
  api.use("/admin/*", async (c, next) => {
    if (!c.get("caller").isAdmin) throw forbidden("Admins only.");
    await next();
  });
  api.use(unitPerRequest(app));
  api.route("/", meRoutes(app));
  api.route("/", taskRoutes(app));
  api.route("/", teamRoutes(app));
  api.route("/", retentionRoutes(app));
  api.route("/", auditRoutes(app));
  return new Hono().route("/api", api as unknown as Hono);
}
