import type { Db } from "#db/client";
import type { Person } from "#db/tasks";
import { findMemberByUsername, isMember, listMembers, shareATeam } from "#db/teams";
import { findUserByUsername, getUser } from "#db/users";
import type { Vault } from "#db/vault";

export type AssigneeResult = { ok: true; person: Person } | { ok: false; reason: string };

const USERNAME = /^@?([a-z][a-z0-9_]{4,31})$/i;

/**
 * Resolves "me" or "@username" to someone who may be given the task: in a team, a member
 * the bot has seen; for a private task, the creator or someone who shares a team with
 * them (so strangers cannot be handed tasks and notifications).
 */
export async function resolveAssignee(
  db: Db,
  vault: Vault,
  answer: string,
  actorId: number,
  teamId: number | null,
): Promise<AssigneeResult> {
  const text = answer.trim();
  if (text.toLowerCase() === "me") return resolveAssigneeId(db, vault, "me", actorId, teamId);
  const username = USERNAME.exec(text)?.[1];
  if (!username) return { ok: false, reason: "Send me, an @username, or /skip." };
  if (teamId !== null) {
    const member = await findMemberByUsername(db, vault, teamId, username);
    if (member) return { ok: true, person: member };
    return {
      ok: false,
      reason: `I don't know @${username} in this group yet: they need to write here once.`,
    };
  }
  const user = await findUserByUsername(db, vault, username);
  if (user && (user.id === actorId || (await shareATeam(db, actorId, user.id)))) {
    return { ok: true, person: user };
  }
  return { ok: false, reason: `I don't know @${username} from any of your groups.` };
}

/** Resolves a button's user id (or "me"), checking it again: button data can be forged. */
export async function resolveAssigneeId(
  db: Db,
  vault: Vault,
  idOrMe: string,
  actorId: number,
  teamId: number | null,
): Promise<AssigneeResult> {
  const id = idOrMe === "me" ? actorId : Number(idOrMe);
  const unknown = { ok: false as const, reason: "I don't know that person." };
  if (!Number.isSafeInteger(id)) return unknown;
  const allowed =
    teamId !== null
      ? await isMember(db, teamId, id)
      : id === actorId || (await shareATeam(db, actorId, id));
  if (!allowed) return unknown;
  const user = await getUser(db, vault, id);
  return user ? { ok: true, person: user } : unknown;
}

/** The team's members the /newtask form offers as buttons (the first `limit`). */
export function membersToOffer(
  db: Db,
  vault: Vault,
  teamId: number,
  limit: number,
): Promise<Person[]> {
  return listMembers(db, vault, teamId, limit);
}
