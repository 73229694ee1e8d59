import { Hono } from "hono";
import type { Sql } from "postgres";
import { globalDays, type RetentionRules } from "#db/retention";
import { noticeAsPage, privacyNotice } from "./policy.ts";

/** GET /privacy: the notice as a page, for the Mini App and BotFather's privacy link. */
export function privacyRoutes(sql: Sql, rules: RetentionRules): Hono {
  const routes = new Hono();
  routes.get("/privacy", async (c) => {
    const days = await globalDays(sql, rules);
    c.header("Cache-Control", "public, max-age=300");
    return c.html(noticeAsPage(privacyNotice(days)));
  });
  return routes;
}
