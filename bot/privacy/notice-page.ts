import { Hono } from "hono";
import type { Sql } from "postgres";
import { periodInForce } from "#bot/retention/core/period";
import type { RetentionRules } from "#bot/retention/core/types";
import { noticeAsPage, privacyNotice } from "./policy.ts";

/** GET /privacy: the notice as a page, for the Mini App and BotFather's privacy link. */
export function privacyRoutes(sql: Sql, rules: RetentionRules): Hono {
  const routes = new Hono();
  routes.get("/privacy", async (c) => {
    const days = await periodInForce({ db: sql }, rules, null);
    c.header("Cache-Control", "public, max-age=300");
    return c.html(noticeAsPage(privacyNotice(days)));
  });
  return routes;
}
