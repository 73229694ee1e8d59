import { Writable } from "node:stream";
import { createLogger, type Logger } from "#bot/lib/logger";

/** A real pino logger whose JSON lines the test can read. */
export function captureLogs(level = "debug"): {
  log: Logger;
  lines: () => Record<string, unknown>[];
  raw: () => string;
} {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString("utf8"));
      done();
    },
  });
  const log = createLogger(level, stream);
  return {
    log,
    raw: () => chunks.join(""),
    lines: () =>
      chunks
        .join("")
        .split("\n")
        .filter((line) => line.trim() !== "")
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
