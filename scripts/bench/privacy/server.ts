import { readFileSync, writeFileSync } from "node:fs";
import type { Hono } from "hono";
import { z } from "zod";
import { createApp } from "#bot/app";
import { loadConfig } from "#bot/config";
import { systemClock } from "#bot/lib/clock";
import { createLogger } from "#bot/lib/logger";
import { createSql } from "#db/client";
import { createVault, type Vault } from "#db/vault";
import { TEST_BOT_INFO } from "#test/helpers/fake-telegram";
import { UNPACED } from "#test/helpers/limits";

/**
 * The service under test for scripts/bench/privacy.ts, in a process of its own so that its
 * memory is measured apart from the seeder, the load generator and the fake Bot API.
 *
 *   sealed  the real createApp(...) in webhook mode, its vault built from the secrets
 *   plain   the same, with a vault that stores text as it is (fingerprints stay keyed)
 *
 * Both run with the outgoing throttle off and the rate limit raised, as in the webhook
 * benchmark. Configuration, secrets included, comes from the environment (loadConfig).
 */

export type VaultMode = "sealed" | "plain";

export type ParentMessage =
  | { type: "stats" }
  | { type: "mark-peak" }
  | { type: "drain" }
  | { type: "stop" };

export type ChildMessage =
  | { type: "ready"; port: number }
  /** Peak: the most RSS since the last mark (the kernel's high-water mark, not a sample). */
  | {
      type: "stats";
      rssBytes: number;
      peakRssBytes: number;
      /** What of the RSS is V8's heap, and what buffers outside it. */
      heapBytes: number;
      externalBytes: number;
      cpuMicros: number;
    }
  | { type: "drained"; ms: number; inFlight: number }
  | { type: "failed"; message: string };

const parentMessage = z.discriminatedUnion("type", [
  z.object({ type: z.literal("stats") }),
  z.object({ type: z.literal("mark-peak") }),
  z.object({ type: z.literal("drain") }),
  z.object({ type: z.literal("stop") }),
]);

const DRAIN_TIMEOUT_MS = 10_000;

const send = (message: ChildMessage) => process.send?.(message);

/** Encryption left out, everything else as the real vault does it. */
function plainVault(real: Vault): Vault {
  return {
    currentKeyId: real.currentKeyId,
    seal: (plain) => Buffer.from(plain, "utf8"),
    open: (sealed) => Buffer.from(sealed).toString("utf8"),
    openBytes: (sealed) => Buffer.from(sealed),
    fingerprint: (purpose, value) => real.fingerprint(purpose, value),
  };
}

/** VmRSS and VmHWM from /proc: sampling could miss a short peak, the high-water mark cannot. */
function stats(): Extract<ChildMessage, { type: "stats" }> {
  const status = readFileSync("/proc/self/status", "utf8");
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
  const cpu = process.cpuUsage();
  const { heapTotal, external } = process.memoryUsage();
  return {
    type: "stats",
    rssBytes: kb("VmRSS") * 1024,
    peakRssBytes: kb("VmHWM") * 1024,
    heapBytes: heapTotal,
    externalBytes: external,
    cpuMicros: cpu.user + cpu.system,
  };
}

/** Counts requests being handled, so a stop can wait for those the load generator dropped. */
function countInFlight(http: Hono) {
  const handle = http.fetch;
  let inFlight = 0;
  let wake: (() => void) | undefined;
  http.fetch = async (...args) => {
    inFlight++;
    try {
      return await handle(...args);
    } finally {
      inFlight--;
      if (inFlight === 0) wake?.();
    }
  };
  return async (): Promise<{ ms: number; inFlight: number }> => {
    const started = performance.now();
    if (inFlight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, DRAIN_TIMEOUT_MS);
      });
      clearTimeout(timer);
      wake = undefined;
    }
    return { ms: performance.now() - started, inFlight };
  };
}

const mode = z.enum(["sealed", "plain"]).parse(process.argv[2]);
const config = loadConfig(process.env);
const log = createLogger(config.logLevel);
const { encryptionKeys, hashSecret } = config;
if (!encryptionKeys || !hashSecret || !config.databaseUrl) {
  throw new Error("ENCRYPTION_KEYS, HASH_SECRET and DATABASE_URL must be set");
}
const secrets = { encryptionKeys, hashSecret };
const sql = createSql(config.databaseUrl);
const app = createApp({
  config,
  sql,
  clock: systemClock,
  log,
  secrets,
  // Sealed: no vault given, so createApp builds its own, exactly as in production.
  ...(mode === "plain" ? { vault: plainVault(createVault(encryptionKeys, hashSecret)) } : {}),
  botInfo: TEST_BOT_INFO,
  // On purpose far beyond Telegram's real limits: we measure our code, not theirs.
  throttle: false,
  rateLimit: { limit: 1_000_000, windowMs: 1000 },
  // The replies are sent, as in production, only not paced: a reply waiting for its chat's
  // turn would not count as a list sent, and its cost belongs to the run.
  outboxLimits: UNPACED,
});
// Before start(): it hands http.fetch to the server.
const drain = countInFlight(app.http);

let stopping = false;
async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    try {
      await app.stop();
      await sql.end({ timeout: 5 });
    } catch (error) {
      process.stderr.write(`stop failed: ${(error as Error).message}\n`);
      code = 1;
    }
  }
  process.exit(code);
}

process.on("message", (raw: unknown) => {
  const parsed = parentMessage.safeParse(raw);
  if (!parsed.success) return;
  switch (parsed.data.type) {
    case "stop":
      void stop(0);
      return;
    case "drain":
      void drain().then((drained) => send({ type: "drained", ...drained }));
      return;
    case "mark-peak":
      try {
        // 5: reset the peak RSS to the current RSS (Linux 4.0+).
        writeFileSync("/proc/self/clear_refs", "5");
        send(stats());
      } catch (error) {
        send({ type: "failed", message: `cannot reset the peak RSS: ${(error as Error).message}` });
      }
      return;
    case "stats":
      send(stats());
      return;
  }
});
process.on("SIGTERM", () => void stop(0));
// The parent died: nobody will ever ask us to stop.
process.on("disconnect", () => void stop(0));

try {
  const { port } = await app.start();
  send({ type: "ready", port });
} catch (error) {
  send({ type: "failed", message: error instanceof Error ? error.message : String(error) });
  await stop(1);
}
