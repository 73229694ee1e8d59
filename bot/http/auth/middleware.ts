import { getConnInfo } from "@hono/node-server/conninfo";
import type { MiddlewareHandler } from "hono";
import { clientAddress } from "#bot/http/client-address";
import { type ApiEnv, ApiError, tooManyRequests } from "#bot/http/route-helpers";
import type { RateLimiter } from "#bot/lib/rate-limit";
import type { Services } from "#bot/telegram/context";
import { upsertUser } from "#db/users";
import type { InitDataCheck } from "./init-data.ts";

const REASONS = {
  missing: "Send the Mini App's init data as: Authorization: tma <init data>.",
  invalid: "The init data is not valid.",
  expired: "The init data has expired: reopen the app.",
} as const;

export interface Authentication {
  validate(raw: string | undefined, now: Date): InitDataCheck;
  /** Requests per user. */
  perUser: RateLimiter;
  /** Failed authentications per IP: guessing signatures is slow. */
  failuresPerIp: RateLimiter;
  /** Proxies in front of the service whose X-Forwarded-For entries are believed (TRUST_PROXY). */
  trustedProxies: number;
}

/**
 * `Authorization: tma <init data>` on every /api request, validated as Telegram specifies.
 * The user is upserted as a bot user would be, then counted against the per-user limit.
 * A profile already written is not written again until it changes here or the person
 * changes anywhere (an erasure removes the row: the next request re-creates a bare user).
 */
export function authenticate(app: Services, auth: Authentication): MiddlewareHandler<ApiEnv> {
  const written = app.people.cache<string>(20_000);
  return async (c, next) => {
    const now = app.clock.now();
    const header = c.req.header("authorization");
    const raw = header?.startsWith("tma ")
      ? header.slice(4)
      : header === undefined
        ? undefined
        : "";
    // Validated before any count is consulted: a correctly signed request is never refused
    // for failures of others at its address (behind a proxy or NAT, that is everyone).
    const check = auth.validate(raw, now);
    if (!check.ok) {
      const ip = clientAddress(
        peerAddress(c),
        c.req.header("x-forwarded-for"),
        auth.trustedProxies,
      );
      const counted = await auth.failuresPerIp.hit(ip, now.getTime());
      if (!counted.allowed) throw tooManyRequests(counted.retryAfterSeconds);
      const reason = header !== undefined && check.reason === "missing" ? "invalid" : check.reason;
      throw new ApiError(401, "unauthorized", REASONS[reason]);
    }

    const { user } = check;
    const allowed = await auth.perUser.hit(`u:${user.id}`, now.getTime());
    if (!allowed.allowed) throw tooManyRequests(allowed.retryAfterSeconds);

    const signature = JSON.stringify(user);
    if (written.get(user.id) !== signature) {
      const readAt = written.readAt();
      await upsertUser(app.sql, app.vault, user, false, now);
      written.set(user.id, signature, readAt);
    }
    c.set("caller", { id: user.id, firstName: user.firstName, isAdmin: app.adminIds.has(user.id) });
    await next();
  };
}

/** The socket's peer; in-process requests (tests) have none. */
function peerAddress(c: Parameters<MiddlewareHandler>[0]): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}
