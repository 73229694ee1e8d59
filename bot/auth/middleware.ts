import { getConnInfo } from "@hono/node-server/conninfo";
import type { MiddlewareHandler } from "hono";
import { type ApiEnv, ApiError, tooManyRequests } from "#bot/http/api";
import { clientAddress } from "#bot/http/client-address";
import type { RateLimiter } from "#bot/http/rate-limit";
import { LruCache } from "#bot/lib/lru";
import type { Services } from "#bot/telegram/context";
import { upsertUser } from "#db/users";
import type { InitDataCheck } from "./init-data.ts";

const REASONS = {
  missing: "Send the Mini App's init data as: Authorization: tma <init data>.",
  invalid: "The init data is not valid.",
  expired: "The init data has expired: reopen the app.",
} as const;

/** A profile written within this long is not written again on every request. */
const PROFILE_FRESH_MS = 60_000;

export interface Authentication {
  validate(raw: string | undefined, now: Date): InitDataCheck;
  /** Requests per user. */
  perUser: RateLimiter;
  /** Failed authentications per IP: guessing signatures is slow. */
  failuresPerIp: RateLimiter;
  /** Proxies in front of the service whose X-Forwarded-For entries are believed (TRUST_PROXY). */
  trustedProxies: number;
}

export interface Authenticator {
  middleware: MiddlewareHandler<ApiEnv>;
  /** The user's data was erased: their next request re-creates a bare user. */
  forget(userId: number): void;
}

/**
 * `Authorization: tma <init data>` on every /api request, validated as Telegram specifies.
 * The user is upserted as a bot user would be (at most once a minute per profile here),
 * then counted against the per-user limit.
 */
export function authenticate(app: Services, auth: Authentication): Authenticator {
  const written = new LruCache<number, { signature: string; at: number }>(20_000);
  const middleware: MiddlewareHandler<ApiEnv> = async (c, next) => {
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
    const known = written.get(user.id);
    if (!known || known.signature !== signature || now.getTime() - known.at > PROFILE_FRESH_MS) {
      await upsertUser(app.sql, app.vault, user, false, now);
      written.set(user.id, { signature, at: now.getTime() });
    }
    c.set("caller", { id: user.id, firstName: user.firstName, isAdmin: app.adminIds.has(user.id) });
    await next();
  };
  return { middleware, forget: (userId) => written.delete(userId) };
}

/** The socket's peer; in-process requests (tests) have none. */
function peerAddress(c: Parameters<MiddlewareHandler>[0]): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}
