import { type ChildProcess, fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import type { Update } from "grammy/types";
import { z } from "zod";
import type { Secrets } from "#db/secrets";
import {
  collectLog,
  REPO_ROOT,
  type ServiceLog,
  START_TIMEOUT_MS,
  STOP_TIMEOUT_MS,
} from "../webhook/children.ts";
import { onCleanUp } from "../webhook/cleanup.ts";
import { messageOf } from "../webhook/print.ts";
import { serviceEnv } from "../webhook/service.ts";
import type { ChildMessage, ParentMessage, VaultMode } from "./server.ts";

/** The service under test: server.ts in a child process, driven over IPC and its webhook. */

const SERVER_SCRIPT = fileURLToPath(new URL("./server.ts", import.meta.url));

export interface Target {
  apiRoot: string;
  databaseUrl: string;
  /** The seeder seals with these, so the service must open with them. */
  secrets: Secrets;
}

export type Stats = Extract<ChildMessage, { type: "stats" }>;
export type Drained = Extract<ChildMessage, { type: "drained" }>;

export interface Service {
  mode: VaultMode;
  port: number;
  /** The webhook's secret token, for load generators that post by themselves. */
  secret: string;
  log: ServiceLog;
  /** Posts one update to the webhook and resolves once the service has answered it. */
  post(update: Update): Promise<void>;
  /** RSS now and at its peak since the last mark, and CPU used since the start. */
  stats(): Promise<Stats>;
  /** Resets the peak RSS to the current RSS, then answers as stats() does. */
  markPeak(): Promise<Stats>;
  /** Waits until the requests the load generator abandoned have finished. */
  drain(): Promise<Drained>;
  stop(): Promise<void>;
}

const childMessage = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ready"), port: z.number().int() }),
  z.object({
    type: z.literal("stats"),
    rssBytes: z.number(),
    peakRssBytes: z.number(),
    heapBytes: z.number(),
    externalBytes: z.number(),
    cpuMicros: z.number(),
  }),
  z.object({ type: z.literal("drained"), ms: z.number(), inFlight: z.number().int() }),
  z.object({ type: z.literal("failed"), message: z.string() }),
]) satisfies z.ZodType<ChildMessage>;

export async function startService(mode: VaultMode, target: Target): Promise<Service> {
  const secret = `bench-${randomBytes(12).toString("hex")}`;
  const env = {
    ...serviceEnv({ apiRoot: target.apiRoot, databaseUrl: target.databaseUrl, secret }),
    ENCRYPTION_KEYS: target.secrets.encryptionKeys.map((key) => key.toString("base64")).join(","),
    HASH_SECRET: target.secrets.hashSecret.toString("base64"),
  };
  const child = fork(SERVER_SCRIPT, [mode], {
    cwd: REPO_ROOT,
    env,
    execArgv: ["--import", "tsx"],
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
    if (child.connected) child.send({ type: "stop" } satisfies ParentMessage);
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    await exit;
    clearTimeout(timer);
  };
  const forget = onCleanUp(`${mode} service`, stop);

  const ready = await nextMessage(child, "ready", START_TIMEOUT_MS).catch((error: unknown) => {
    throw new Error(`${mode} service did not start: ${messageOf(error)}\n${log.tail.join("\n")}`);
  });
  const ask = <T extends "stats" | "drained">(request: ParentMessage, answer: T, ms: number) => {
    const answered = nextMessage(child, answer, ms);
    if (child.connected) child.send(request);
    return answered;
  };
  const url = `http://127.0.0.1:${ready.port}/telegram/webhook`;
  return {
    mode,
    port: ready.port,
    secret,
    log,
    post: async (update) => {
      const response = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-telegram-bot-api-secret-token": secret,
        },
        body: JSON.stringify(update),
      });
      await response.body?.cancel();
      if (response.status !== 200) {
        throw new Error(`the webhook answered update ${update.update_id} with ${response.status}`);
      }
    },
    stats: () => ask({ type: "stats" }, "stats", 5000),
    markPeak: () => ask({ type: "mark-peak" }, "stats", 5000),
    drain: () => ask({ type: "drain" }, "drained", STOP_TIMEOUT_MS),
    stop: async () => {
      await stop();
      forget();
    },
  };
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
