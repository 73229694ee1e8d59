import { DateTime } from "luxon";
import { z } from "zod";
import { Forbidden, Invalid } from "#bot/lib/errors";
import type { Operation } from "#bot/lib/operation";
import type { Db } from "#db/client";
import {
  claimDueDigests,
  type Digest,
  type DigestTask,
  digestTasks,
  markDigestSent,
  removeDigest,
  setDigest,
} from "#db/digests";
import type { Vault } from "#db/vault";

export type { Digest, DigestTask } from "#db/digests";
/** When digests fall due, and word when one is set or moved (for the delivery's timer). */
export { listenForMovedDigests, nextDigestDue } from "#db/digests";

/** Digests leave nothing for after the commit: the answer is the edge's. */
export type DigestsEffects = Record<string, never>;
export type DigestsOperation = Operation<DigestsEffects>;

export interface DigestsDeps {
  /** Whether the person is an admin of the group (Telegram knows; the core decides). */
  isGroupAdmin(teamId: number, userId: number): Promise<boolean>;
}

const MINUTES_A_DAY = 24 * 60;

const digestChange = z.object({
  /** A team's digest in its group, or the actor's own in their private chat. */
  target: z.union([
    z.object({ kind: z.literal("personal") }),
    z.object({ kind: z.literal("team"), teamId: z.number().int() }),
  ]),
  /** Minutes after local midnight; null: the digest stops. */
  atMinute: z
    .number()
    .int()
    .min(0)
    .max(MINUTES_A_DAY - 1)
    .nullable(),
  timezone: z.string().min(1),
  /** Names notify people (team digests only). */
  mention: z.boolean().default(false),
});
export type DigestChange = z.input<typeof digestChange>;

export type DigestOutcome =
  | { kind: "set"; digest: Digest }
  | { kind: "stopped"; target: Digest["kind"]; existed: boolean };

/**
 * Sets or stops a daily digest: a person's own (always theirs to change), or a team's,
 * which only bot admins and the group's own admins may change.
 */
export async function changeDigest(
  op: DigestsOperation,
  deps: DigestsDeps,
  input: DigestChange,
): Promise<DigestOutcome> {
  const parsed = digestChange.safeParse(input);
  if (!parsed.success) throw new Invalid("That is not a digest time.");
  const { target, atMinute, timezone, mention } = parsed.data;
  const { userId, isAdmin } = op.actor;
  if (target.kind === "team" && !isAdmin && !(await deps.isGroupAdmin(target.teamId, userId))) {
    throw new Forbidden("Only the group's admins can change its digest.");
  }
  const chatId = target.kind === "team" ? target.teamId : userId;
  if (atMinute === null) {
    const existed = await removeDigest(op.db, chatId, target.kind);
    return { kind: "stopped", target: target.kind, existed };
  }
  const digest: Digest = {
    chatId,
    kind: target.kind,
    atMinute,
    timezone,
    mention: target.kind === "team" && mention,
  };
  await setDigest(op.db, digest);
  return { kind: "set", digest };
}

const DAY = 24 * 60 * 60 * 1000;

export interface DueDigest extends Digest {
  /** Open tasks due by the end of the digest's day (today's and overdue), and done since yesterday. */
  tasks: DigestTask[];
}

/** What reading the due digests needs: the vault that opens task titles and names. */
export interface DueDigestsDeps {
  vault: Vault;
}

/**
 * The digests whose time has come, each once a day: claimed with SKIP LOCKED and marked
 * sent in the caller's transaction, so instances never take one twice. A digest whose
 * message fails still counts as sent for the day (no retry storm).
 */
export async function takeDueDigests(
  source: { db: Db; now: Date },
  deps: DueDigestsDeps,
): Promise<DueDigest[]> {
  const { db, now } = source;
  const due: DueDigest[] = [];
  for (const digest of await claimDueDigests(db, now)) {
    const dayEnd = DateTime.fromJSDate(now, { zone: digest.timezone }).endOf("day").toJSDate();
    const scope =
      digest.kind === "team" ? { teamId: digest.chatId } : { assigneeId: digest.chatId };
    const tasks = await digestTasks(db, deps.vault, scope, {
      dayEnd,
      since: new Date(now.getTime() - DAY),
    });
    await markDigestSent(db, digest, digest.localDate);
    due.push({
      chatId: digest.chatId,
      kind: digest.kind,
      atMinute: digest.atMinute,
      timezone: digest.timezone,
      mention: digest.mention,
      tasks,
    });
  }
  return due;
}
