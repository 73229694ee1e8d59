import type { Api } from "grammy";
import type { Sql } from "postgres";
import type { Clock } from "#bot/lib/clock";
import { describeError, type Logger } from "#bot/lib/logger";
import type { Job } from "#bot/lib/schedule";
import { composeDigest } from "./compose.ts";
import { type DueDigestsDeps, takeDueDigests } from "./core.ts";

export interface DigestDeps extends DueDigestsDeps {
  sql: Sql;
  clock: Clock;
  log: Logger;
  api: Api;
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
 * Sends the digests whose time has come, once a day each: the core claims them and marks
 * them sent in this transaction, so instances never send one twice.
 */
export async function deliverDueDigests(deps: DigestDeps): Promise<number> {
  return deps.sql.begin(async (tx) => {
    const now = deps.clock.now();
    let sent = 0;
    for (const digest of await takeDueDigests({ db: tx, now }, deps)) {
      const { tasks } = digest;
      const link = appLink(deps, digest.kind, digest.chatId);
      const text = composeDigest(tasks, {
        now,
        timeZone: digest.timezone,
        mention: digest.mention,
        heading: digest.kind === "team" ? "Team digest" : "Your day",
        ...(link ? { appLink: link } : {}),
      });
      // A chat that is gone still counts as done for today: no retry storm.
      await deps.api
        .sendMessage(digest.chatId, text, {
          parse_mode: "HTML",
          link_preview_options: { is_disabled: true },
        })
        .then(() => sent++)
        .catch((error: unknown) => {
          deps.log.info({ kind: digest.kind, err: describeError(error) }, "digest not delivered");
        });
    }
    return sent;
  });
}

export function digestJob(deps: DigestDeps): Job {
  return {
    name: "digests",
    intervalMs: 60_000,
    async run() {
      const sent = await deliverDueDigests(deps);
      if (sent > 0) deps.log.info({ sent }, "digests sent");
    },
  };
}
