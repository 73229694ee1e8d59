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
export function createIdHasher(key: Buffer): IdHasher {
  return (id) => createHmac("sha256", key).update(`user:${id}`).digest("base64url").slice(0, 16);
}

/**
 * An error summary safe for logs: its name, Telegram's own description (it carries no
 * user text), Postgres's SQLSTATE code, and stack frames without the message line.
 */
export function describeError(error: unknown): {
  name: string;
  message?: string;
  code?: number | string;
  stack?: string;
} {
  if (!(error instanceof Error)) return { name: typeof error };
  const code =
    (error as { error_code?: unknown; code?: unknown }).error_code ??
    (error as { code?: unknown }).code;
  // Postgres messages can quote input values, so only its SQLSTATE code is kept.
  // Vault errors name a key id and say what failed: no stored value is in them.
  const trusted = ["GrammyError", "HttpError", "VaultError"].includes(error.name);
  return {
    name: error.name,
    ...(trusted ? { message: error.message } : {}),
    ...(typeof code === "number" || typeof code === "string" ? { code } : {}),
    ...(error.stack ? { stack: error.stack.split("\n").slice(1, 8).join("\n") } : {}),
  };
}
