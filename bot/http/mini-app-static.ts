import { existsSync } from "node:fs";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { serveStatic } from "@hono/node-server/serve-static";
import { Hono, type MiddlewareHandler } from "hono";
import { compressedAssets } from "./mini-app-assets.ts";

/** Where `npm run build` puts the Mini App. */
export const MINIAPP_DIST = fileURLToPath(new URL("../../miniapp/dist", import.meta.url));

export function miniAppBuilt(dist = MINIAPP_DIST): boolean {
  return existsSync(`${dist}/index.html`);
}

/**
 * The built Mini App at /: hashed assets cached for a year and sent compressed, the page
 * itself revalidated on every open so a new version shows at once. /bot.json tells the page (even outside
 * Telegram) which bot to link to.
 */
export function miniAppRoutes(options: { botUsername: () => string | null; dist?: string }): Hono {
  const dist = options.dist ?? MINIAPP_DIST;
  // serveStatic resolves its root against the working directory.
  const root = relative(process.cwd(), dist) || ".";
  const routes = new Hono();
  routes.get("/bot.json", (c) => {
    c.header("Cache-Control", "no-cache");
    return c.json({ username: options.botUsername() });
  });
  const cacheFor =
    (policy: string): MiddlewareHandler =>
    async (c, next) => {
      await next();
      if (c.res.status === 200) c.res.headers.set("Cache-Control", policy);
    };
  routes.get(
    "/assets/*",
    compressedAssets(`${dist}/assets`),
    cacheFor("public, max-age=31536000, immutable"),
    serveStatic({ root }),
  );
  routes.get("/", cacheFor("no-cache"), serveStatic({ root, path: "index.html" }));
  return routes;
}
