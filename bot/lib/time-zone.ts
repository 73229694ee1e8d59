import { IANAZone } from "luxon";

/**
 * An IANA time zone name as we store it, or null when it is not one: the usual spelling
 * ("america/new_york" becomes America/New_York), while a newer name such as Europe/Kyiv
 * stays as written rather than turning into an older alias (Intl may still say Europe/Kiev).
 * The bot's /timezone and the Mini App's PATCH /api/me both go through here.
 */
export function canonicalTimeZone(name: string): string | null {
  // Node 24's Intl also takes UTC offsets ("+05:00") as zones; a name starts with a letter.
  if (!/^[A-Za-z]/.test(name) || !IANAZone.isValidZone(name)) return null;
  const canonical = new Intl.DateTimeFormat("en", { timeZone: name }).resolvedOptions().timeZone;
  return canonical.toLowerCase() === name.toLowerCase() ? canonical : name;
}
