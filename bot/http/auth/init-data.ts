import { createHmac, createSecretKey, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { LruCache } from "#bot/lib/lru";

// Telegram Mini App init data, validated as
// https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app specifies.

export interface InitDataUser {
  id: number;
  firstName: string;
  lastName: string | null;
  username: string | null;
  languageCode: string | null;
}

export type InitDataCheck =
  | { ok: true; user: InitDataUser; authDate: Date; startParam: string | null }
  | { ok: false; reason: "missing" | "invalid" | "expired" };

/** Clients' clocks drift; more than this ahead cannot be drift, so the data is not trusted. */
const MAX_FUTURE_MS = 60_000;

const HASH_PATTERN = /^[0-9a-f]{64}$/i;
const AUTH_DATE_PATTERN = /^\d{1,12}$/;

// Unknown fields are stripped rather than rejected: Telegram adds user fields over time.
// z.int() stops at 2^53 - 1, beyond which a JSON number no longer names one id exactly.
const userSchema = z.object({
  id: z.int().positive(),
  first_name: z.string(),
  last_name: z.string().optional(),
  username: z.string().optional(),
  language_code: z.string().optional(),
});

// Shared by every failing request, so frozen: one caller cannot change another's answer.
const MISSING: InitDataCheck = Object.freeze({ ok: false, reason: "missing" });
const INVALID: InitDataCheck = Object.freeze({ ok: false, reason: "invalid" });
const EXPIRED: InitDataCheck = Object.freeze({ ok: false, reason: "expired" });

/**
 * Init data strings whose signature held, remembered: a Mini App sends the same string with
 * every request of a session, and checking it again costs more than the rest of an
 * unchanged list's answer. Only the signature is remembered; the age is checked each time.
 */
const REMEMBERED_VALID = 4096;

type Signed = Extract<InitDataCheck, { ok: true }>;

/** Builds a validator for one bot token; the secret key HMAC_SHA256(key="WebAppData", msg=token) is computed once. */
export function createInitDataValidator(
  botToken: string,
  options: { maxAgeSeconds: number },
): (raw: string | undefined, now: Date) => InitDataCheck {
  const secretKey = createSecretKey(createHmac("sha256", "WebAppData").update(botToken).digest());
  const maxAgeMs = options.maxAgeSeconds * 1000;
  const signedBefore = new LruCache<string, Signed>(REMEMBERED_VALID);

  const fresh = (check: Signed, now: Date): InitDataCheck => {
    const ageMs = now.getTime() - check.authDate.getTime();
    if (ageMs < -MAX_FUTURE_MS) return INVALID;
    if (ageMs > maxAgeMs) return EXPIRED;
    return check;
  };

  return (raw, now) => {
    if (!raw) return MISSING;
    const remembered = signedBefore.get(raw);
    if (remembered) return fresh(remembered, now);
    const check = checkSignature(raw);
    if (!check.ok) return check;
    // Frozen: every later request with this string gets this object.
    signedBefore.set(raw, Object.freeze({ ...check, user: Object.freeze(check.user) }));
    return fresh(check, now);
  };

  function checkSignature(raw: string): InitDataCheck {
    // A repeated key would make the signed string ambiguous: which value did Telegram sign?
    const fields = new Map<string, string>();
    for (const [key, value] of new URLSearchParams(raw)) {
      if (fields.has(key)) return INVALID;
      fields.set(key, value);
    }

    const hash = fields.get("hash");
    if (hash === undefined || !HASH_PATTERN.test(hash)) return INVALID;
    fields.delete("hash");

    // `signature` (Telegram's Ed25519 signature for third parties) is signed like any other field.
    const dataCheckString = [...fields]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, value]) => `${key}=${value}`)
      .join("\n");
    const expected = createHmac("sha256", secretKey).update(dataCheckString).digest();
    const given = Buffer.from(hash, "hex");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return INVALID;

    const authDateText = fields.get("auth_date");
    if (authDateText === undefined || !AUTH_DATE_PATTERN.test(authDateText)) return INVALID;
    const authDateMs = Number(authDateText) * 1000;

    const userText = fields.get("user");
    if (userText === undefined) return INVALID;
    let userJson: unknown;
    try {
      userJson = JSON.parse(userText);
    } catch {
      return INVALID;
    }
    const parsed = userSchema.safeParse(userJson);
    if (!parsed.success) return INVALID;
    const user = parsed.data;

    return {
      ok: true,
      user: {
        id: user.id,
        firstName: user.first_name,
        lastName: user.last_name ?? null,
        username: user.username ?? null,
        languageCode: user.language_code ?? null,
      },
      authDate: new Date(authDateMs),
      // An empty start_param carries nothing a caller could act on.
      startParam: fields.get("start_param") || null,
    };
  }
}
