import type { Sql } from "postgres";
import type { Clock } from "#bot/lib/clock";
import type { DueWork } from "#bot/lib/due-timer";
import { type JobMeter, metered } from "#bot/lib/job-meter";
import type { Logger } from "#bot/lib/logger";
import { type OutgoingCall, queueMessages } from "#bot/outbox/queue";
import { composeDigest } from "./compose.ts";
import {
  type DueDigestsDeps,
  listenForMovedDigests,
  nextDigestDue,
  takeDueDigests,
} from "./core.ts";

export interface DigestDeps extends DueDigestsDeps {
  sql: Sql;
  clock: Clock;
  log: Logger;
  /** Seals the digests' texts in the outbox. */
  vault: Parameters<typeof queueMessages>[1];
  /** Set when the Mini App is served: a digest too long for one message links to it. */
  miniAppUrl?: string | null;
  botUsername?: () => string | null;
}

/** The Mini App through the bot's t.me link; a team's opens on that team. */
function appLink(deps: DigestDeps, kind: string, chatId: number): string | undefined {
  const username = deps.miniAppUrl ? deps.botUsername?.() : null;
  if (!username) return undefined;
  return `https://t.me/${username}?startapp${kind === "team" ? `=team_${chatId}` : ""}`;
}

/**
 * Queues the digests whose time has come, once a day each: the core claims them and marks
 * them sent in this transaction, and their messages are written to the outbox in it, so
 * instances never send one twice and none is lost. How many were queued.
 */
export async function deliverDueDigests(deps: DigestDeps): Promise<number> {
  return deps.sql.begin(async (tx) => {
    const now = deps.clock.now();
    const messages: OutgoingCall[] = [];
    for (const digest of await takeDueDigests({ db: tx, now }, deps)) {
      const { tasks } = digest;
      const link = appLink(deps, digest.kind, digest.chatId);
      const text = composeDigest(tasks, {
        now,
        timeZone: digest.timezone,
        mention: digest.mention,
        heading: digest.kind === "team" ? "Team digest" : "Your day",
        readersOwnTime: digest.kind === "team",
        ...(link ? { appLink: link } : {}),
      });
      // A chat that is gone still counts as done for today: the outbox drops its message.
      messages.push({
        chatId: digest.chatId,
        method: "sendMessage",
        text,
        params: { parse_mode: "HTML", link_preview_options: { is_disabled: true } },
      });
    }
    await queueMessages(tx, deps.vault, now, messages);
    return messages.length;
  });
}

/** Digests for the due timer: run at the earliest one's time, woken when one is set or moved. */
export function digestWork(deps: DigestDeps, meter?: JobMeter): DueWork {
  return {
    name: "digests",
    async run() {
      const queued = await metered(
        meter,
        "digests",
        () => deliverDueDigests(deps),
        (count) => ({ queued: count }),
      );
      if (queued > 0) deps.log.info({ queued }, "digests queued");
    },
    nextDue: () => nextDigestDue(deps.sql, deps.clock.now()),
    listen: (changed) => listenForMovedDigests(deps.sql, changed),
  };
}
