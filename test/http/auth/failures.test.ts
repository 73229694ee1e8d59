import { describe, expect, it } from "vitest";
import { initDataFor } from "#test/helpers/api";
import { createTestBot, type TestBot, useBotHarness } from "#test/helpers/bot";
import { alice, bob } from "#test/helpers/updates";

const h = useBotHarness();

/** A bot of its own, so each test starts with no failures counted. */
const botWith = (env: Record<string, string> = {}) =>
  createTestBot({ sql: h.sql, telegram: h.telegram, clock: h.bot.clock, env });

const ask = (bot: TestBot, authorization: string, forwardedFor?: string) =>
  bot.app.http.request("/api/me", {
    headers: {
      authorization,
      ...(forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor }),
    },
  });
const signed = (user: typeof alice) =>
  `tma ${initDataFor(user, new Date(h.bot.clock.now().getTime() - 60_000))}`;
const forged = () => signed(alice).replace("hash=", "hash=0");

/** Fails authentication the allowed 30 times a minute from `forwardedFor`'s client. */
async function exhaust(bot: TestBot, forwardedFor?: string) {
  for (let i = 0; i < 30; i++) {
    expect((await ask(bot, forged(), forwardedFor)).status).toBe(401);
  }
}

describe("failed authentications per address", () => {
  it("never refuse a correctly signed request, however many failures its address had", async () => {
    const bot = botWith();
    await exhaust(bot);
    const refused = await ask(bot, forged());
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("60");
    // Everyone behind the same address (a TLS proxy, a company's NAT) still gets in.
    expect((await ask(bot, signed(alice))).status).toBe(200);
    expect((await ask(bot, signed(bob))).status).toBe(200);
    expect((await ask(bot, forged())).status).toBe(429);
    h.bot.clock.advance(60_000);
    expect((await ask(bot, forged())).status).toBe(401);
  });

  it("ignore X-Forwarded-For with TRUST_PROXY=0, the default: anyone can write that header", async () => {
    const bot = botWith();
    await exhaust(bot, "203.0.113.1");
    expect((await ask(bot, forged(), "203.0.113.2")).status).toBe(429);
    expect((await ask(bot, forged())).status).toBe(429);
  });

  it("count per the client the proxy saw with TRUST_PROXY=1: the last X-Forwarded-For entry", async () => {
    const bot = botWith({ TRUST_PROXY: "1" });
    await exhaust(bot, "203.0.113.1");
    expect((await ask(bot, forged(), "203.0.113.1")).status).toBe(429);
    // A client cannot get a fresh count by putting an address of its choice in front.
    expect((await ask(bot, forged(), "198.51.100.7, 203.0.113.1")).status).toBe(429);
    // Other clients behind the same proxy are counted on their own.
    expect((await ask(bot, forged(), "203.0.113.2")).status).toBe(401);
    expect((await ask(bot, forged(), "203.0.113.1, 203.0.113.2")).status).toBe(401);
  });

  it("take the client two hops in with TRUST_PROXY=2 (a CDN in front of a load balancer)", async () => {
    const bot = botWith({ TRUST_PROXY: "2" });
    await exhaust(bot, "203.0.113.1, 10.0.0.5");
    expect((await ask(bot, forged(), "203.0.113.1, 10.0.0.9")).status).toBe(429);
    expect((await ask(bot, forged(), "198.51.100.6, 203.0.113.1, 10.0.0.9")).status).toBe(429);
    expect((await ask(bot, forged(), "203.0.113.2, 10.0.0.5")).status).toBe(401);
  });
});
