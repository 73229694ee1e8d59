import { Hono } from "hono";
import { DEFAULT_RETENTION_DAYS, noticeAsPage, privacyNotice } from "./policy.ts";

/** GET /privacy: the notice as a page, for the Mini App and BotFather's privacy link. */
export function privacyRoutes(): Hono {
  const routes = new Hono();
  routes.get("/privacy", (c) => {
    c.header("Cache-Control", "public, max-age=300");
    return c.html(noticeAsPage(privacyNotice(DEFAULT_RETENTION_DAYS)));
  });
  return routes;
}
