import { createHmac } from "node:crypto";
import pino, { type DestinationStream, type Logger } from "pino";

export type { Logger };

/**
 * Structured JSON logs. Personal data never goes in: log update ids, counts and
 * `hashId(userId)`, never names, usernames or anything a user wrote.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

export type IdHasher = (id: number) => string;

/**
 * A keyed hash lets us correlate log lines about one person without the logs
 * revealing who it is: without the key, ids cannot be brute-forced back.
 */
export function createIdHasher(key: string): IdHasher {
  return (id) => createHmac("sha256", key).update(String(id)).digest("base64url").slice(0, 16);
}
