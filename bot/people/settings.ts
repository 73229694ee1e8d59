import { Invalid } from "#bot/lib/errors";
import type { Operation } from "#bot/lib/operation";
import { canonicalTimeZone } from "#bot/lib/time-zone";
import { setTimeZone as storeTimeZone } from "#db/users";

/** A name that is no IANA time zone; each edge words it its own way from `zoneName`. */
export class UnknownTimeZone extends Invalid {
  constructor(readonly zoneName: string) {
    super(
      `I don't know the timezone “${zoneName}”. Use a name like Europe/Kyiv or America/New_York (the IANA time zone names).`,
    );
  }
}

/**
 * Sets the actor's time zone, named as IANA names it (Europe/Kyiv, America/New_York), in
 * the spelling we store, and returns that spelling. The one place a person's zone changes:
 * /timezone in the chat and PATCH /api/me both come here. Due phrases, reminders, quiet
 * hours and digests follow it; the database announces the change to every instance.
 */
export async function setTimeZone(
  op: Pick<Operation<unknown>, "db" | "actor">,
  name: string,
): Promise<string> {
  const wanted = name.trim();
  const zone = canonicalTimeZone(wanted);
  if (zone === null) throw new UnknownTimeZone(wanted);
  await storeTimeZone(op.db, op.actor.userId, zone);
  return zone;
}
