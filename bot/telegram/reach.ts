import { GrammyError, HttpError } from "grammy";
import type { Logger } from "#bot/lib/logger";

/** Seconds between attempts: quick at first (a blip), then every 30 s (an outage). */
export const REACH_DELAYS_MS = [1_000, 2_000, 5_000, 10_000, 30_000] as const;

/** Telegram refused the token: retrying cannot help, so the start stops with this line. */
export class BotTokenRefused extends Error {
  constructor(status: number) {
    super(`Telegram refuses BOT_TOKEN (${status} Unauthorized): check BOT_TOKEN (from @BotFather)`);
    this.name = "BotTokenRefused";
  }
}

export interface ReachOptions {
  apiRoot: string;
  log: Logger;
  /** Waits between attempts; tests resolve it at once or when they choose. */
  wait: (ms: number) => Promise<void>;
  delaysMs?: readonly number[];
}

/**
 * Runs `introduce` (the start-up calls to the Bot API) until it gets through, saying on
 * each failure what it waits for and why. Only the error's code is logged: grammY puts the
 * token in the request URL and the underlying fetch error quotes that URL.
 */
export async function untilTelegramReached<T>(
  introduce: () => Promise<T>,
  options: ReachOptions,
): Promise<T> {
  const delays = options.delaysMs ?? REACH_DELAYS_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return await introduce();
    } catch (error) {
      const reason = whyNotReached(error);
      if (reason === undefined) throw error;
      const delay = delays[Math.min(attempt, delays.length - 1)] ?? 30_000;
      options.log.warn(
        { apiRoot: options.apiRoot, reason, retryInMs: delay },
        `cannot reach the Bot API at ${options.apiRoot}: ${reason}; retrying in ${formatSeconds(delay)}`,
      );
      await options.wait(delay);
    }
  }
}

/**
 * Why the Bot API could not be reached (worth retrying), or undefined for an answer that
 * retrying will not change. A refused token throws BotTokenRefused.
 */
export function whyNotReached(error: unknown): string | undefined {
  if (error instanceof GrammyError) {
    if (error.error_code === 401) throw new BotTokenRefused(error.error_code);
    if (error.error_code === 429 || error.error_code >= 500) {
      return `HTTP ${error.error_code}`;
    }
    return undefined;
  }
  if (error instanceof HttpError) {
    const cause = error.error as { code?: unknown; status?: unknown; statusText?: unknown };
    if (typeof cause?.code === "string") return cause.code;
    if (typeof cause?.status === "number") return `HTTP ${cause.status}`;
    return "network error";
  }
  return undefined;
}

function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
