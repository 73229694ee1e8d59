import { timingSafeEqual } from "node:crypto";
import type { Bot } from "grammy";
import type { Update } from "grammy/types";
import { Hono } from "hono";
import { z } from "zod";
import type { BotContext } from "#bot/telegram/context";
import { limitBody } from "./body-limit.ts";

export const WEBHOOK_PATH = "/telegram/webhook";

/** The update types the bot handles: what polling asks for and what the webhook is sent. */
export const ALLOWED_UPDATES = [
  "message",
  "edited_message",
  "callback_query",
  "chat_member",
  "my_chat_member",
] as const;

/** Telegram's most: deliveries for different chats are handled side by side. */
export const WEBHOOK_MAX_CONNECTIONS = 100;

/** setWebhook's arguments, the same for the service's start and `npm run webhook set`. */
export function webhookRegistration(publicUrl: string, secret: string) {
  return {
    url: `${publicUrl}${WEBHOOK_PATH}`,
    options: {
      secret_token: secret,
      allowed_updates: [...ALLOWED_UPDATES],
      max_connections: WEBHOOK_MAX_CONNECTIONS,
    },
  };
}
const SECRET_HEADER = "x-telegram-bot-api-secret-token";

/** Compares in constant time so the secret cannot be guessed byte by byte. */
export function secretMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

const MAX_UPDATE_BYTES = 1024 * 1024;

const updateSchema = z.looseObject({ update_id: z.number().int().nonnegative() });

const error = (code: string, message: string) => ({ error: { code, message } });

/**
 * Telegram's deliveries. An update is answered 200 once handled (or found to be a
 * duplicate); a failure answers 500, and a stopping instance 503, so Telegram delivers it
 * again later.
 */
export function webhookRoutes(
  bot: Bot<BotContext>,
  secret: string,
  inFlight: Set<Promise<void>>,
  accepting: () => boolean = () => true,
): Hono {
  const routes = new Hono();
  routes.post(WEBHOOK_PATH, limitBody(MAX_UPDATE_BYTES, "Update too large."), async (c) => {
    if (!secretMatches(c.req.header(SECRET_HEADER), secret)) {
      return c.json(error("unauthorized", "Missing or wrong secret token."), 401);
    }
    // Shutting down: not taken, so Telegram (or the proxy) delivers it to another instance.
    if (!accepting()) return c.json(error("not_ready", "Shutting down."), 503);
    const body: unknown = await c.req.json().catch(() => undefined);
    const parsed = updateSchema.safeParse(body);
    if (!parsed.success) return c.json(error("invalid", "Not a Telegram update."), 400);
    // Tracked so shutdown can finish updates whose sender has already hung up.
    const handling = bot.handleUpdate(parsed.data as unknown as Update);
    inFlight.add(handling);
    try {
      await handling;
    } finally {
      inFlight.delete(handling);
    }
    return c.json({ ok: true });
  });
  return routes;
}
