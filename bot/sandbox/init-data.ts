import { createHmac } from "node:crypto";
import type { SandboxPerson } from "./people.ts";

/**
 * Init data as Telegram signs it for a Mini App opened by `person` (core.telegram.org/bots/
 * webapps#validating-data-received-via-the-mini-app), so the sandbox's Mini App
 * authenticates through the same check as in production.
 */
export function signInitData(botToken: string, person: SandboxPerson, now: Date): string {
  const fields = new Map<string, string>([
    ["auth_date", String(Math.floor(now.getTime() / 1000))],
    ["query_id", `sandbox-${person.id}-${now.getTime()}`],
    [
      "user",
      JSON.stringify({
        id: person.id,
        first_name: person.firstName,
        username: person.username,
        language_code: "en",
      }),
    ],
    // Telegram's Ed25519 signature for third parties, which needs Telegram's private key: the
    // sandbox has none, so it holds a placeholder. The service does not check it (it checks
    // the hash below); the Mini App's SDK only requires the field to be there.
    ["signature", "sandbox-has-no-telegram-key"],
  ]);
  const dataCheckString = [...fields]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, value]) => `${key}=${value}`)
    .join("\n");
  const secretKey = createHmac("sha256", "WebAppData").update(botToken).digest();
  const hash = createHmac("sha256", secretKey).update(dataCheckString).digest("hex");
  const params = new URLSearchParams([...fields, ["hash", hash]]);
  return params.toString();
}
