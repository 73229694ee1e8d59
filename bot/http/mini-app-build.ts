import { fileURLToPath } from "node:url";
import { describeError, type Logger } from "#bot/lib/logger";
import { miniAppBuilt } from "./mini-app-static.ts";

const VITE_CONFIG = fileURLToPath(new URL("../../vite.config.ts", import.meta.url));

/**
 * Builds the Mini App when no build is there yet, so `npm ci && npm start` shows it. Vite
 * is a development dependency: an image without it must ship a build (the Dockerfile
 * does), and without one the service still runs, with / answering 404.
 */
export async function ensureMiniAppBuilt(log: Logger): Promise<void> {
  if (miniAppBuilt()) return;
  log.info("building the Mini App (first start, a few seconds)");
  try {
    const { build } = await import("vite");
    await build({ configFile: VITE_CONFIG, logLevel: "warn" });
  } catch (error) {
    log.warn({ err: describeError(error) }, "the Mini App could not be built: run npm run build");
  }
}
