import { describe, expect, it } from "vitest";
import { createSql } from "#db/client";
import { apiClient, initDataFor } from "#test/helpers/api";
import { createTestBot, useBotHarness } from "#test/helpers/bot";
import { alice, bob } from "#test/helpers/updates";

const h = useBotHarness({ env: { PUBLIC_URL: "https://tasks.example.org" } });
const call = apiClient(h);

const withInitData = (raw: string) => ({ headers: { authorization: `tma ${raw}` } });
const minutesAgo = (minutes: number) => new Date(h.bot.clock.now().getTime() - minutes * 60_000);

describe("authentication", () => {
  it("lets a request with valid init data in and creates its user like a bot user", async () => {
    const response = await call(alice, "GET", "/api/me");
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      user: { id: alice.id, firstName: alice.first_name, timezone: "UTC" },
      consent: { granted: false, policyVersion: null, at: null },
      isAdmin: false,
      teams: [],
    });
    const [row] = await h.sql`select id, consent_version from users where id = ${alice.id}`;
    expect(row).toEqual({ id: alice.id, consentVersion: null });
  });

  it("answers 401 and says which when init data is missing, invalid or expired", async () => {
    const missing = await call(null, "GET", "/api/me");
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({
      error: {
        code: "unauthorized",
        message: "Send the Mini App's init data as: Authorization: tma <init data>.",
      },
    });

    const tampered = initDataFor(alice, minutesAgo(1)).replace("Alice", "Mallory");
    const invalid = await call(null, "GET", "/api/me", withInitData(tampered));
    expect(invalid.status).toBe(401);
    expect(invalid.body).toEqual({
      error: { code: "unauthorized", message: "The init data is not valid." },
    });

    const otherBot = initDataFor(alice, minutesAgo(1), "999:another-bot-token-xxxxxxxxxxxx");
    expect((await call(null, "GET", "/api/me", withInitData(otherBot))).status).toBe(401);

    const wrongScheme = await call(null, "GET", "/api/me", {
      headers: { authorization: `Bearer ${initDataFor(alice, minutesAgo(1))}` },
    });
    expect(wrongScheme.body).toMatchObject({ error: { message: "The init data is not valid." } });

    const old = initDataFor(alice, minutesAgo(24 * 60 + 1));
    const expired = await call(null, "GET", "/api/me", withInitData(old));
    expect(expired.status).toBe(401);
    expect(expired.body).toEqual({
      error: { code: "unauthorized", message: "The init data has expired: reopen the app." },
    });

    expect(await h.sql`select id from users`).toEqual([]);
  });

  it("follows INIT_DATA_MAX_AGE", async () => {
    const bot = createTestBot({
      sql: h.sql,
      telegram: h.telegram,
      env: { INIT_DATA_MAX_AGE: "300" },
    });
    const ask = (minutes: number) =>
      bot.app.http.request("/api/me", {
        headers: { authorization: `tma ${initDataFor(alice, minutesAgo(minutes))}` },
      });
    expect((await ask(4)).status).toBe(200);
    expect((await ask(6)).status).toBe(401);
  });

  it("slows down signature guessing: 30 failures a minute from one address, then 429", async () => {
    const bad = withInitData(initDataFor(alice, minutesAgo(1)).replace("hash=", "hash=0"));
    for (let i = 0; i < 30; i++) {
      expect((await call(null, "GET", "/api/me", bad)).status).toBe(401);
    }
    const limited = await call(null, "GET", "/api/me", bad);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("60");
    expect(limited.body).toEqual({
      error: { code: "rate_limited", message: "Too many requests: try again in 60 s." },
    });

    h.bot.clock.advance(60_000);
    expect((await call(null, "GET", "/api/me", bad)).status).toBe(401);
  });

  it("limits each user to 120 requests a minute, with Retry-After", async () => {
    h.bot.clock.set("2026-11-28T10:00:30Z");
    for (let i = 0; i < 120; i++) expect((await call(alice, "GET", "/api/me")).status).toBe(200);
    const limited = await call(alice, "GET", "/api/me");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("30");
    // Others are not affected.
    expect((await call(bob, "GET", "/api/me")).status).toBe(200);
  });
});

describe("with REDIS_URL", () => {
  it("shares the per-user limit between instances", async () => {
    const env = {
      PORT: "0",
      REDIS_URL: "redis://127.0.0.1:6379",
      API_RATE_LIMIT_PER_MINUTE: "3",
    };
    const first = createTestBot({ sql: h.sql, telegram: h.telegram, env });
    const second = createTestBot({ sql: h.sql, telegram: h.telegram, env });
    await first.app.start();
    await second.app.start();
    // A user of our own, so parallel runs do not share counters.
    const user = { ...alice, id: 6_000_000 + Math.floor(Math.random() * 1_000_000) };
    const statuses: number[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        const bot = i % 2 === 0 ? first : second;
        const response = await bot.app.http.request("/api/me", {
          headers: { authorization: `tma ${initDataFor(user, minutesAgo(1))}` },
        });
        statuses.push(response.status);
      }
    } finally {
      await first.app.stop();
      await second.app.stop();
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});

describe("every response", () => {
  it("carries the security headers and a request id, on success and on errors", async () => {
    for (const response of [
      await call(alice, "GET", "/api/me"),
      await call(null, "GET", "/api/me"),
      await call(alice, "GET", "/api/nothing-here"),
      await call(null, "GET", "/healthz"),
    ]) {
      expect(response.headers.get("content-security-policy")).toBe(
        "default-src 'none'; frame-ancestors 'none'",
      );
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
      expect(response.headers.get("strict-transport-security")).toBe(
        "max-age=31536000; includeSubDomains",
      );
      expect(response.headers.get("x-frame-options")).toBeNull();
      expect(response.headers.get("x-request-id")).toMatch(/^[\w-]{8,}$/);
    }
  });

  it("lets pages be framed by Telegram's web client, with no inline scripts", async () => {
    const page = await call(null, "GET", "/privacy");
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("frame-ancestors 'self' https://web.telegram.org");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
  });

  it("keeps a well-formed request id and replaces a malformed one", async () => {
    const kept = await call(alice, "GET", "/api/me", { headers: { "x-request-id": "abc-123" } });
    expect(kept.headers.get("x-request-id")).toBe("abc-123");
    const replaced = await call(alice, "GET", "/api/me", {
      headers: { "x-request-id": "<script>alert(1)</script>" },
    });
    expect(replaced.headers.get("x-request-id")).not.toContain("<");
  });

  it("is 404 JSON for unknown routes", async () => {
    const response = await call(alice, "GET", "/api/nothing-here");
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: { code: "not_found", message: "Not found." } });
  });
});

describe("bodies", () => {
  it("must be JSON: 415 for another content type, 400 for malformed JSON", async () => {
    const form = await call(alice, "POST", "/api/tasks", {
      raw: "title=Hi",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(form.status).toBe(415);
    expect(form.body).toMatchObject({ error: { code: "unsupported_media_type" } });

    const broken = await call(alice, "POST", "/api/tasks", {
      raw: '{"title": "Hi"',
      headers: { "content-type": "application/json" },
    });
    expect(broken.status).toBe(400);
    expect(broken.body).toEqual({
      error: { code: "invalid_input", message: "The body is not valid JSON." },
    });
  });

  it("are at most 64 KiB: 413 above", async () => {
    const response = await call(alice, "POST", "/api/tasks", {
      json: { title: "Big", description: "x".repeat(70 * 1024) },
    });
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ error: { code: "too_large" } });
    expect(await h.sql`select id from tasks`).toEqual([]);
  });
});

describe("CORS", () => {
  it("answers a preflight from the configured origin (PUBLIC_URL's by default)", async () => {
    const response = await call(null, "OPTIONS", "/api/tasks", {
      headers: {
        origin: "https://tasks.example.org",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://tasks.example.org");
    expect(response.headers.get("access-control-allow-methods")).toBe("GET,POST,PATCH,PUT,DELETE");
    expect(response.headers.get("access-control-allow-headers")).toBe(
      "Authorization,Content-Type,X-Request-Id,If-None-Match",
    );
  });

  it("gives another origin no CORS headers at all", async () => {
    const preflight = await call(null, "OPTIONS", "/api/tasks", {
      headers: { origin: "https://evil.example.com", "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(204);
    for (const name of preflight.headers.keys()) expect(name).not.toMatch(/^access-control-/);

    const simple = await call(alice, "GET", "/api/me", {
      headers: { origin: "https://evil.example.com" },
    });
    expect(simple.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("allows exactly the origins in CORS_ORIGINS", async () => {
    const bot = createTestBot({
      sql: h.sql,
      telegram: h.telegram,
      env: { CORS_ORIGINS: "https://a.example.org, https://b.example.org" },
    });
    const preflight = (origin: string) =>
      bot.app.http.request("/api/me", {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "GET" },
      });
    expect(
      (await preflight("https://b.example.org")).headers.get("access-control-allow-origin"),
    ).toBe("https://b.example.org");
    expect(
      (await preflight("https://tasks.example.org")).headers.get("access-control-allow-origin"),
    ).toBeNull();
  });
});

describe("unexpected errors", () => {
  it("are a 500 naming only the request id, which the log has too; never a stack or SQL", async () => {
    const broken = createSql(h.url, { max: 1 });
    await broken.end();
    const bot = createTestBot({ sql: broken, telegram: h.telegram });
    const response = await bot.app.http.request("/api/tasks", {
      headers: {
        authorization: `tma ${initDataFor(alice, minutesAgo(1))}`,
        "x-request-id": "req-500-test",
      },
    });
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      error: {
        code: "internal",
        message: "Something went wrong on our side. Request id: req-500-test.",
      },
    });
    expect(text).not.toMatch(/postgres|select |insert |at \/|\.ts:|[A-Z]\w*Error/);
    const logged = bot.logs.lines().find((line) => line.msg === "request failed");
    expect(logged).toMatchObject({ requestId: "req-500-test" });
  });
});

describe("health probes", () => {
  it("need no authentication and carry no personal data", async () => {
    expect((await call(null, "GET", "/healthz")).body).toEqual({ status: "ok" });
    expect((await call(null, "GET", "/readyz")).body).toEqual({ status: "ready" });
  });
});
