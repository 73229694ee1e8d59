import { createHmac } from "node:crypto";
import { sign } from "@telegram-apps/init-data-node";
import { describe, expect, it } from "vitest";
import { createInitDataValidator } from "#bot/http/auth/init-data";

const token = "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ_abc";
const otherToken = "654321:ZYXWVUTSRQPONMLKJIHGFEDCBA_xyz";
const maxAgeSeconds = 3600;
const now = new Date("2026-11-28T10:00:00Z");
const nowSeconds = now.getTime() / 1000;

const validate = createInitDataValidator(token, { maxAgeSeconds });

/** The spec, step by step: secret = HMAC(key "WebAppData", token); hash = HMAC(secret, sorted fields). */
function signByHand(fields: Record<string, string>, botToken: string): string {
  const secret = createHmac("sha256", "WebAppData").update(botToken).digest();
  const dataCheckString = Object.keys(fields)
    .sort()
    .map((key) => `${key}=${fields[key]}`)
    .join("\n");
  const hash = createHmac("sha256", secret).update(dataCheckString).digest("hex");
  return new URLSearchParams({ ...fields, hash }).toString();
}

const adaJson = JSON.stringify({
  id: 42,
  first_name: "Zoë",
  last_name: "Lovelace",
  username: "ada",
  language_code: "en",
  is_premium: true,
  allows_write_to_pm: true,
  photo_url: "https://t.me/i/userpic/320/ada.svg",
});

function fields(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    query_id: "AAHdF6IQAAAAAN0XohDhrOrc",
    user: adaJson,
    auth_date: String(nowSeconds - 60),
    start_param: "team_7",
    ...overrides,
  };
}

function withHash(raw: string, hash: string): string {
  const params = new URLSearchParams(raw);
  params.set("hash", hash);
  return params.toString();
}

function hashOf(raw: string): string {
  return new URLSearchParams(raw).get("hash") ?? "";
}

describe("createInitDataValidator", () => {
  it("accepts data signed by @telegram-apps/init-data-node", () => {
    const authDate = new Date(now.getTime() - 120_000);
    const raw = sign(
      {
        user: { id: 42, first_name: "Ada", last_name: "Lovelace", username: "ada" },
        query_id: "AAH",
        start_param: "team_7",
      },
      token,
      authDate,
    );

    expect(validate(raw, now)).toEqual({
      ok: true,
      user: { id: 42, firstName: "Ada", lastName: "Lovelace", username: "ada", languageCode: null },
      authDate,
      startParam: "team_7",
    });
  });

  it("gives null for the optional user fields and start_param that are absent", () => {
    const authDate = new Date(now.getTime() - 5_000);
    const raw = sign({ user: { id: 7, first_name: "Bo" } }, token, authDate);

    expect(validate(raw, now)).toEqual({
      ok: true,
      user: { id: 7, firstName: "Bo", lastName: null, username: null, languageCode: null },
      authDate,
      startParam: null,
    });
  });

  it("accepts a fixture signed by hand following the spec, ignoring unknown user fields", () => {
    const check = validate(signByHand(fields(), token), now);

    expect(check).toEqual({
      ok: true,
      user: { id: 42, firstName: "Zoë", lastName: "Lovelace", username: "ada", languageCode: "en" },
      authDate: new Date((nowSeconds - 60) * 1000),
      startParam: "team_7",
    });
  });

  describe("the signature field", () => {
    const signature =
      "Q2u8nD1xJ1xkL8mYtCq0Zf4p9Vb6w3Rk2s7u1n0aT5eH8yM4oP6iU9rE3wQ1zX0cV2bN5mL7kJ4hG8fD6sA1Bw";

    it("is part of the data-check-string", () => {
      expect(validate(signByHand(fields({ signature }), token), now)).toMatchObject({ ok: true });
    });

    it("cannot be changed without breaking the hash", () => {
      const params = new URLSearchParams(signByHand(fields({ signature }), token));
      params.set("signature", `${signature.slice(0, -1)}C`);

      expect(validate(params.toString(), now)).toEqual({ ok: false, reason: "invalid" });
    });

    it("is not accepted when the hash left it out", () => {
      const raw = `${signByHand(fields(), token)}&signature=${signature}`;

      expect(validate(raw, now)).toEqual({ ok: false, reason: "invalid" });
    });
  });

  describe("rejects as invalid", () => {
    const good = signByHand(fields(), token);

    it.each([
      [
        "a changed user",
        () =>
          withHash(signByHand(fields({ user: adaJson.replace("42", "43") }), token), hashOf(good)),
      ],
      [
        "a changed start_param",
        () => withHash(signByHand(fields({ start_param: "team_8" }), token), hashOf(good)),
      ],
      ["a wrong token", () => signByHand(fields(), otherToken)],
      ["a truncated hash", () => withHash(good, hashOf(good).slice(0, 62))],
      ["a hash one character short", () => withHash(good, hashOf(good).slice(0, 63))],
      ["a hash one byte too long", () => withHash(good, `${hashOf(good)}00`)],
      ["a non-hex hash", () => withHash(good, `${hashOf(good).slice(0, 63)}g`)],
      ["an empty hash", () => withHash(good, "")],
      ["no hash", () => signByHand(fields(), token).replace(/&hash=[0-9a-f]+/, "")],
      ["a repeated key with the same value", () => `${good}&auth_date=${nowSeconds - 60}`],
      ["a repeated key with another value", () => `${good}&start_param=team_8`],
      ["a repeated hash", () => `${good}&hash=${hashOf(good)}`],
      ["an empty user", () => signByHand(fields({ user: "" }), token)],
      ["malformed user JSON", () => signByHand(fields({ user: "{not json" }), token)],
      ["a user that is not an object", () => signByHand(fields({ user: "null" }), token)],
      ["a user without first_name", () => signByHand(fields({ user: '{"id":42}' }), token)],
      [
        "a user with a negative id",
        () => signByHand(fields({ user: '{"id":-1,"first_name":"A"}' }), token),
      ],
      [
        "a user with a fractional id",
        () => signByHand(fields({ user: '{"id":1.5,"first_name":"A"}' }), token),
      ],
      [
        "a user with a string id",
        () => signByHand(fields({ user: '{"id":"42","first_name":"A"}' }), token),
      ],
      [
        "a user id past 2^53",
        () => signByHand(fields({ user: '{"id":9007199254740993,"first_name":"A"}' }), token),
      ],
      [
        "a username that is not a string",
        () => signByHand(fields({ user: '{"id":1,"first_name":"A","username":5}' }), token),
      ],
      ["an empty auth_date", () => signByHand(fields({ auth_date: "" }), token)],
      ["a non-numeric auth_date", () => signByHand(fields({ auth_date: "yesterday" }), token)],
      ["a fractional auth_date", () => signByHand(fields({ auth_date: `${nowSeconds}.5` }), token)],
      ["a negative auth_date", () => signByHand(fields({ auth_date: `-${nowSeconds}` }), token)],
      ["garbage", () => "not init data at all"],
    ])("%s", (_name, build) => {
      expect(validate(build(), now)).toEqual({ ok: false, reason: "invalid" });
    });

    it("no auth_date field at all", () => {
      const { auth_date: _, ...rest } = fields();

      expect(validate(signByHand(rest, token), now)).toEqual({ ok: false, reason: "invalid" });
    });

    it("no user field at all", () => {
      const { user: _, ...rest } = fields();

      expect(validate(signByHand(rest, token), now)).toEqual({ ok: false, reason: "invalid" });
    });
  });

  it.each([undefined, ""])("reports %o as missing", (raw) => {
    expect(validate(raw, now)).toEqual({ ok: false, reason: "missing" });
  });

  describe("auth_date", () => {
    const at = (secondsFromNow: number) =>
      validate(signByHand(fields({ auth_date: String(nowSeconds + secondsFromNow) }), token), now);

    it("older than maxAgeSeconds is expired", () => {
      expect(at(-maxAgeSeconds - 1)).toEqual({ ok: false, reason: "expired" });
      expect(at(-10 * maxAgeSeconds)).toEqual({ ok: false, reason: "expired" });
    });

    it("exactly maxAgeSeconds old is accepted", () => {
      expect(at(-maxAgeSeconds)).toMatchObject({ ok: true });
    });

    it("a little in the future is accepted as clock drift", () => {
      expect(at(30)).toMatchObject({ ok: true, authDate: new Date((nowSeconds + 30) * 1000) });
      expect(at(60)).toMatchObject({ ok: true });
    });

    it("more than 60 s in the future is invalid", () => {
      expect(at(61)).toEqual({ ok: false, reason: "invalid" });
    });

    it("is checked only after the hash: a forged old date is invalid, not expired", () => {
      const raw = withHash(
        signByHand(fields({ auth_date: String(nowSeconds - 10 * maxAgeSeconds) }), token),
        "0".repeat(64),
      );

      expect(validate(raw, now)).toEqual({ ok: false, reason: "invalid" });
    });
  });

  it("keeps one secret per token: validators for different bots disagree", () => {
    const other = createInitDataValidator(otherToken, { maxAgeSeconds });
    const raw = signByHand(fields(), otherToken);

    expect(other(raw, now)).toMatchObject({ ok: true });
    expect(validate(raw, now)).toEqual({ ok: false, reason: "invalid" });
  });
});

describe("a signature checked before", () => {
  it("is not checked again, but its age is, on every request", () => {
    const check = createInitDataValidator(token, { maxAgeSeconds });
    const raw = signByHand(fields(), token);
    expect(check(raw, now)).toMatchObject({ ok: true, user: { id: 42 } });
    const later = new Date(now.getTime() + maxAgeSeconds * 1000);
    expect(check(raw, later)).toEqual({ ok: false, reason: "expired" });
    expect(check(raw, now)).toMatchObject({ ok: true, user: { id: 42 } });
  });

  it("does not let a changed string through, nor one that failed", () => {
    const check = createInitDataValidator(token, { maxAgeSeconds });
    const raw = signByHand(fields(), token);
    expect(check(raw, now).ok).toBe(true);
    const otherUser = raw.replace(encodeURIComponent('"id":42'), encodeURIComponent('"id":43'));
    expect(otherUser).not.toBe(raw);
    expect(check(otherUser, now)).toEqual({ ok: false, reason: "invalid" });
    const forged = withHash(raw, "0".repeat(64));
    expect(check(forged, now)).toEqual({ ok: false, reason: "invalid" });
    expect(check(forged, now)).toEqual({ ok: false, reason: "invalid" });
  });

  it("is shared frozen: one request cannot change what the next one is told", () => {
    const check = createInitDataValidator(token, { maxAgeSeconds });
    const raw = signByHand(fields(), token);
    check(raw, now);
    const again = check(raw, now);
    if (!again.ok) throw new Error("not valid");
    expect(() => {
      (again.user as { id: number }).id = 1;
    }).toThrow(TypeError);
    expect(check(raw, now)).toMatchObject({ ok: true, user: { id: 42 } });
  });
});
