import { Invalid, NotFound } from "#bot/lib/errors";
import { setTimeZone as changeTimeZone, UnknownTimeZone } from "#bot/people/settings";
import { type ConsentRecord, latestConsent } from "#db/consents";
import { exportTeams } from "#db/export";
import { canMessage, getUser } from "#db/users";
import type { ProfileJson } from "../contract.ts";
import type { PrivacyDeps, PrivacyOperation } from "./types.ts";

export interface Profile {
  user: ProfileJson;
  /** The latest consent record; null: never asked. */
  consent: ConsentRecord | null;
  isAdmin: boolean;
  teams: Array<{ id: number; title: string }>;
}

/** The actor as the service knows them: profile, time zone, consent, groups. */
export async function profile(op: PrivacyOperation, deps: PrivacyDeps): Promise<Profile> {
  const { userId } = op.actor;
  const user = await getUser(op.db, deps.vault, userId);
  if (!user) throw new NotFound();
  const consent = await latestConsent(op.db, userId);
  const teams = await exportTeams(op.db, userId);
  return {
    user: {
      id: user.id,
      firstName: user.firstName,
      lastName: user.lastName,
      username: user.username,
      languageCode: user.languageCode,
      timezone: user.timezone,
    },
    consent,
    isAdmin: op.actor.isAdmin,
    teams: teams.map((team) => ({ id: team.id, title: team.title })),
  };
}

/**
 * Sets the actor's time zone, with the same names and spelling as /timezone. Every cache
 * forgets them, so the bot's next update reads the new zone.
 */
export async function setTimeZone(
  op: PrivacyOperation,
  deps: PrivacyDeps,
  input: { timezone: string },
): Promise<Profile> {
  try {
    await changeTimeZone(op, input.timezone);
  } catch (error) {
    if (!(error instanceof UnknownTimeZone)) throw error;
    // The API names the field, as it does for every refused field.
    throw new Invalid(
      `timezone: unknown time zone "${error.zoneName}": use an IANA name such as Europe/Kyiv or America/New_York`,
    );
  }
  op.effects.forget(op.actor.userId);
  return profile(op, deps);
}

/** Whether the actor can get a file in private: they started the bot and did not block it. */
export async function reachableInPrivate(
  op: PrivacyOperation,
  deps: PrivacyDeps,
): Promise<boolean> {
  const user = await getUser(op.db, deps.vault, op.actor.userId);
  return user !== null && canMessage(user);
}
