import type { Sql } from "postgres";
import type { ServiceLog } from "../webhook/children.ts";
import { CONNECTIONS } from "../webhook/load.ts";
import { type LoadRun, runLoad } from "./load.ts";
import type { Seed } from "./seed.ts";
import type { VaultMode } from "./server.ts";
import { startService, type Target } from "./service.ts";
import { chatText, groupTraffic } from "./updates.ts";

/** Group messages of consenting members, recorded with the real vault and with a no-op one. */

/** As many connections as the webhook benchmark, so the two measure the same flood. */
export const INGESTION_CONNECTIONS = CONNECTIONS;

export interface IngestionRun extends LoadRun {
  mode: VaultMode;
  /** Rows the run added to `messages`, and how many of them are in the sealed format. */
  stored: number;
  sealed: number;
  log: ServiceLog;
}

/**
 * Each mode gets a fresh service process and the same starting point: empty `messages`
 * and `processed_updates`, the same members and the same sequence of texts. Sealed goes
 * first, so whatever the machine warms up over the run favours the baseline.
 */
export async function measureIngestion(
  sql: Sql,
  target: Target,
  seed: Seed,
  seconds: number,
): Promise<IngestionRun[]> {
  const runs: IngestionRun[] = [];
  for (const mode of ["sealed", "plain"] as const) {
    await sql`truncate messages, processed_updates`;
    const service = await startService(mode, target);
    const run = await runLoad({
      service,
      connections: INGESTION_CONNECTIONS,
      seconds,
      next: groupTraffic(seed, chatText),
    });
    await service.stop();
    // Version byte 1 starts every sealed value; a plain text starts with a letter.
    const [rows] = await sql<{ stored: number; sealed: number }[]>`
      select count(*)::int as stored,
             (count(*) filter (where get_byte(text, 0) = 1))::int as sealed
      from messages
    `;
    runs.push({
      mode,
      ...run,
      stored: rows?.stored ?? 0,
      sealed: rows?.sealed ?? 0,
      log: service.log,
    });
  }
  // The plain run left readable texts behind; later phases start from an empty table.
  await sql`truncate messages`;
  return runs;
}
