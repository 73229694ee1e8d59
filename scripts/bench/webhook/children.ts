import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { z } from "zod";

/** What every process the benchmark starts from the repository has in common. */

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const START_TIMEOUT_MS = 20_000;
export const STOP_TIMEOUT_MS = 15_000;

export interface ServiceLog {
  /** Log lines by level and message (messages are fixed strings: no user data). */
  counts: Map<string, number>;
  tail: string[];
}

/** Follows a child's stdout and stderr: pino lines counted by level and message, and the tail. */
export function collectLog(child: ChildProcess): ServiceLog {
  const log: ServiceLog = { counts: new Map(), tail: [] };
  follow(child.stdout, log);
  follow(child.stderr, log);
  return log;
}

const logLine = z.looseObject({ level: z.string(), msg: z.string().optional() });

function follow(stream: Readable | null, log: ServiceLog): void {
  if (!stream) return;
  createInterface({ input: stream }).on("line", (line) => {
    log.tail.push(line.length > 400 ? `${line.slice(0, 400)}…` : line);
    if (log.tail.length > 30) log.tail.shift();
    let parsed: ReturnType<typeof logLine.safeParse>;
    try {
      parsed = logLine.safeParse(JSON.parse(line));
    } catch {
      parsed = logLine.safeParse(undefined);
    }
    const key = parsed.success ? `${parsed.data.level}: ${parsed.data.msg ?? ""}` : "stderr/other";
    log.counts.set(key, (log.counts.get(key) ?? 0) + 1);
  });
}
