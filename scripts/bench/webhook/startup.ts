import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { freePort } from "#db/embedded";
import { type FakeTelegram, TEST_BOT_TOKEN } from "#test/helpers/fake-telegram";
import { collectLog, REPO_ROOT, START_TIMEOUT_MS, STOP_TIMEOUT_MS } from "./children.ts";
import { onCleanUp } from "./cleanup.ts";
import { postgresTempDir } from "./database.ts";
import { print, seconds } from "./print.ts";
import { processes } from "./proc.ts";

/** How long `npm start` takes to answer, on a new data dir and on an existing one. */

const TARGET_START_MS = 1500;

interface StartupRun {
  ms: number;
  /** When the embedded server's postmaster.pid appeared: the rest is Node, migrations, the bot. */
  postgresMs?: number;
  /** From SIGTERM until npm, its children and the embedded server had all exited. */
  stopMs?: number;
  problem?: string;
}

/** `npm start` on a new data dir, then again on the same one: spawn → /healthz answers 200. */
export async function measureStartups(fake: FakeTelegram): Promise<{ ok: boolean }> {
  print("");
  print(
    "start-up of `npm start` (embedded PostgreSQL, polling mode) until GET /healthz answers 200:",
  );
  const dataDir = await postgresTempDir("tt-bench-data-");
  onCleanUp("start-up data dir", () => rm(dataDir, { recursive: true, force: true }));

  const fresh = await startOnce(fake, dataDir);
  print(`  new data dir:      ${describeStartup(fresh)}`);
  if (fresh.problem) return { ok: false };
  const again = await startOnce(fake, dataDir);
  const fast = again.ms < TARGET_START_MS;
  print(`  existing data dir: ${describeStartup(again)}`);
  if (!again.problem) {
    print(
      `  start-up on an existing data dir < ${TARGET_START_MS / 1000} s: ${fast ? "ok" : "MISSED"}`,
    );
  }
  return { ok: !again.problem };
}

function describeStartup(run: StartupRun): string {
  if (run.problem) return `FAILED after ${seconds(run.ms)}: ${run.problem}`;
  const postgres =
    run.postgresMs === undefined ? "" : `; postmaster.pid appeared at ${seconds(run.postgresMs)}`;
  const stopped =
    run.stopMs === undefined
      ? ""
      : `; SIGTERM → all exited, postmaster.pid gone in ${seconds(run.stopMs)}`;
  return `${seconds(run.ms)}${postgres}${stopped}`;
}

async function startOnce(fake: FakeTelegram, dataDir: string): Promise<StartupRun> {
  const port = await freePort();
  const startEnv = {
    ...process.env,
    BOT_TOKEN: TEST_BOT_TOKEN,
    TELEGRAM_API_ROOT: fake.apiRoot,
    DATA_DIR: dataDir,
    // Empty means unset to config.ts, and unlike a deleted variable a .env file cannot fill it.
    DATABASE_URL: "",
    REDIS_URL: "",
    HOST: "127.0.0.1",
    PORT: String(port),
    BOT_MODE: "polling",
    LOG_LEVEL: "warn",
  };
  const started = performance.now();
  const child = spawn("npm", ["start"], {
    cwd: REPO_ROOT,
    env: startEnv,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log = collectLog(child);
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code) => {
      exitCode = code;
      resolve();
    }),
  );
  const pgid = child.pid;
  if (pgid === undefined) return { ms: 0, problem: "npm did not start" };
  const stop = () => stopGroup(pgid, exited, dataDir);
  const stopped = onCleanUp("npm start", stop);

  let ms = 0;
  let problem: string | undefined;
  let postgresMs: number | undefined;
  const pidFile = postmasterPid(dataDir);
  const deadline = started + START_TIMEOUT_MS;
  for (;;) {
    if (postgresMs === undefined && existsSync(pidFile)) postgresMs = performance.now() - started;
    if (exitCode !== undefined) {
      problem = `it exited with code ${exitCode} before answering`;
      break;
    }
    if (performance.now() > deadline) {
      problem = `no 200 from /healthz within ${START_TIMEOUT_MS / 1000} s`;
      break;
    }
    if (await healthy(port)) {
      ms = performance.now() - started;
      break;
    }
    await delay(20);
  }
  if (problem) {
    ms = performance.now() - started;
    problem += `; its output ends with:\n${log.tail.map((l) => `      ${l}`).join("\n")}`;
  }
  const stopping = performance.now();
  const stopProblem = await stop();
  const stopMs = performance.now() - stopping;
  stopped();
  if (stopProblem) problem = problem ? `${problem}; ${stopProblem}` : stopProblem;
  if (problem) return { ms, problem };
  return postgresMs === undefined ? { ms, stopMs } : { ms, postgresMs, stopMs };
}

async function healthy(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`, {
      signal: AbortSignal.timeout(1000),
    });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

/**
 * SIGTERM to the process group we created (npm, tsx and the service's node, and the
 * embedded postgres they started), wait for npm to exit, then for the whole group and
 * the postmaster to be gone. Returns a problem, or undefined when everything stopped.
 */
async function stopGroup(
  pgid: number,
  exited: Promise<void>,
  dataDir: string,
): Promise<string | undefined> {
  signalGroup(pgid, "SIGTERM");
  const inTime = await Promise.race([
    exited.then(() => true),
    delay(STOP_TIMEOUT_MS).then(() => false),
  ]);
  const gone = inTime && (await until(() => groupMembers(pgid).length === 0, STOP_TIMEOUT_MS));
  if (!gone) {
    const left = groupMembers(pgid);
    signalGroup(pgid, "SIGKILL");
    return `did not stop within ${STOP_TIMEOUT_MS / 1000} s of SIGTERM (killed pids ${left.join(", ")})`;
  }
  if (existsSync(postmasterPid(dataDir))) {
    return "postmaster.pid is still there after exit: embedded postgres was not stopped cleanly";
  }
  return undefined;
}

/** Where the service's embedded server (DATA_DIR/pg) keeps its pid file while it runs. */
function postmasterPid(dataDir: string): string {
  return join(dataDir, "pg", "postmaster.pid");
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // The group is already empty.
  }
}

/** Live processes (zombies excluded) in a process group, from /proc. */
function groupMembers(pgid: number): number[] {
  return processes()
    .filter((p) => Number(p.fields[2]) === pgid && p.fields[0] !== "Z")
    .map((p) => p.pid);
}

/** Polls a condition (processes that are not our children send no event) until a bound. */
async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (let wait = 5; !condition(); wait = Math.min(wait * 2, 100)) {
    if (performance.now() > deadline) return false;
    await delay(wait);
  }
  return true;
}
