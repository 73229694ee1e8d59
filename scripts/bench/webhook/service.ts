import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { TEST_BOT_TOKEN } from "#test/helpers/fake-telegram";
import type { ChildMessage, ParentMessage, ServerMode } from "../webhook-server.ts";
import {
  collectLog,
  REPO_ROOT,
  type ServiceLog,
  START_TIMEOUT_MS,
  STOP_TIMEOUT_MS,
} from "./children.ts";
import { onCleanUp } from "./cleanup.ts";
import { messageOf } from "./print.ts";

/** The service under test: webhook-server.ts in a child process, driven over IPC. */

const SERVER_SCRIPT = fileURLToPath(new URL("../webhook-server.ts", import.meta.url));

/** The environment both modes run with: webhook mode against the fake Bot API. */
export function serviceEnv(options: {
  apiRoot: string;
  databaseUrl: string;
  secret: string;
}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    BOT_TOKEN: TEST_BOT_TOKEN,
    TELEGRAM_API_ROOT: options.apiRoot,
    DATABASE_URL: options.databaseUrl,
    BOT_MODE: "webhook",
    WEBHOOK_SECRET: options.secret,
    PUBLIC_URL: "https://bench.invalid",
    HOST: "127.0.0.1",
    PORT: "0",
    LOG_LEVEL: "warn",
    // Empty means unset (config.ts): one process, in-memory rate limit.
    REDIS_URL: "",
  };
}

const childMessage = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ready"), port: z.number().int() }),
  z.object({
    type: z.literal("stats"),
    peakRssBytes: z.number(),
    rssBytes: z.number(),
    cpuMicros: z.number(),
  }),
  z.object({ type: z.literal("drained"), ms: z.number(), inFlight: z.number().int() }),
  z.object({ type: z.literal("failed"), message: z.string() }),
]) satisfies z.ZodType<ChildMessage>;

export type Stats = Extract<ChildMessage, { type: "stats" }>;
export type Drained = Extract<ChildMessage, { type: "drained" }>;

export interface Service {
  port: number;
  log: ServiceLog;
  stats(): Promise<Stats>;
  /** Waits until the requests the load generator abandoned have finished. */
  drain(): Promise<Drained>;
  stop(): Promise<void>;
}

export async function startService(mode: ServerMode, env: NodeJS.ProcessEnv): Promise<Service> {
  const child = fork(SERVER_SCRIPT, [mode], {
    cwd: REPO_ROOT,
    env,
    execArgv: [
      "--import",
      "tsx",
      ...(process.env.BENCH_CPU_PROF
        ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
        : []),
    ],
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  const log = collectLog(child);

  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exited = true;
      resolve();
    }),
  );
  const stop = async () => {
    if (exited) return;
    send(child, { type: "stop" });
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    await exit;
    clearTimeout(timer);
  };
  onCleanUp(`${mode} service`, stop);

  const ready = await nextMessage(child, "ready", START_TIMEOUT_MS).catch((error: unknown) => {
    throw new Error(`${mode} service did not start: ${messageOf(error)}\n${log.tail.join("\n")}`);
  });
  return {
    port: ready.port,
    log,
    stats: () => {
      const answer = nextMessage(child, "stats", 5000);
      send(child, { type: "stats" });
      return answer;
    },
    drain: () => {
      const answer = nextMessage(child, "drained", STOP_TIMEOUT_MS);
      send(child, { type: "drain" });
      return answer;
    },
    stop,
  };
}

function send(child: ChildProcess, message: ParentMessage): void {
  if (child.connected) child.send(message);
}

function nextMessage<T extends ChildMessage["type"]>(
  child: ChildProcess,
  type: T,
  timeoutMs: number,
): Promise<Extract<ChildMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    const onMessage = (raw: unknown) => {
      const parsed = childMessage.safeParse(raw);
      if (!parsed.success) return;
      if (parsed.data.type === "failed") {
        done();
        reject(new Error(parsed.data.message));
      } else if (parsed.data.type === type) {
        done();
        resolve(parsed.data as Extract<ChildMessage, { type: T }>);
      }
    };
    const onExit = (code: number | null) => {
      done();
      reject(new Error(`it exited (code ${code})`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no "${type}" within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}
