import type { Sql } from "postgres";
import { inject } from "vitest";
import { loadConfig } from "#bot/config";
import { createSandbox, type Sandbox, sandboxToken } from "#bot/sandbox/start";
import { FakeClock } from "./clock.ts";
import { UNPACED } from "./limits.ts";
import { captureLogs } from "./logs.ts";
import { TEST_SECRETS } from "./secrets.ts";

export interface RunningSandbox {
  sandbox: Sandbox;
  base: string;
  token: string;
}

/**
 * The sandbox as `npm start` without a token starts it, on the test file's database and the
 * suite's Mini App build, listening on a free loopback port.
 */
export async function startTestSandbox(
  sql: Sql,
  options: { env?: Record<string, string>; heartbeatMs?: number; miniAppDist?: string } = {},
): Promise<RunningSandbox> {
  const config = loadConfig(
    { DATABASE_URL: "postgres://unused@127.0.0.1/unused", PORT: "0", ...options.env },
    undefined,
    { sandboxToken },
  );
  const sandbox = await createSandbox({
    config,
    sql,
    clock: new FakeClock(),
    log: captureLogs("warn").log,
    secrets: TEST_SECRETS,
    miniAppDist: options.miniAppDist ?? inject("miniAppDist"),
    ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
    // Tests write and click in bursts as one person, faster than a person: the per-person
    // limit (5 updates in 3 s) would turn a press into "Slow down" (the limiter has its own
    // tests).
    tuning: { outboxLimits: UNPACED, throttle: false, rateLimit: { limit: 1000, windowMs: 1000 } },
  });
  const { port } = await sandbox.start();
  return { sandbox, base: `http://127.0.0.1:${port}`, token: config.botToken };
}
