import type { Sql } from "postgres";
import type { ServiceLog } from "../webhook/children.ts";
import { CONNECTIONS } from "../webhook/load.ts";
import { type LoadRun, runLoad } from "./load.ts";
import type { Seed } from "./seed.ts";
import type { VaultMode } from "./server.ts";
import { type Service, startService, type Target } from "./service.ts";
import { chatText, groupTraffic } from "./updates.ts";

/** Group messages of consenting members, recorded with the real vault and with a no-op one. */

/** As many connections as the webhook benchmark, so the two measure the same flood. */
export const INGESTION_CONNECTIONS = CONNECTIONS;

/**
 * Sealed, plain, plain, sealed: on a shared 2-core machine the speed drifts over a run, and
 * a drift that is steady over the four slices cancels out of the ratio.
 */
export const INGESTION_ORDER: readonly VaultMode[] = ["sealed", "plain", "plain", "sealed"];

export interface Slice extends LoadRun {
  /** Rows the slice added to `messages`, and how many of them are in the sealed format. */
  stored: number;
  sealed: number;
}

export interface IngestionRun {
  mode: VaultMode;
  slices: Slice[];
  log: ServiceLog;
}

/**
 * Both services run side by side (one idle while the other is loaded), on the same members
 * and one stream of texts, from an empty `messages` table. Each is first warmed up with one
 * message per membership: the service remembers who is in which chat after it has seen
 * them there, and until then every first sighting costs queries that have nothing to do
 * with encryption (in a first try the cold slices ran 35 % slower than the warm ones).
 */
export async function measureIngestion(
  sql: Sql,
  target: Target,
  seed: Seed,
  seconds: number,
): Promise<IngestionRun[]> {
  await sql`truncate messages, processed_updates`;
  const traffic = groupTraffic(seed, chatText);
  const memberships = seed.members.reduce((sum, m) => sum + m.chats.length, 0);
  const services = new Map<VaultMode, Service>();
  for (const mode of new Set(INGESTION_ORDER)) services.set(mode, await startService(mode, target));

  const slice = async (
    mode: VaultMode,
    length: { seconds: number } | { amount: number },
    next = traffic,
  ): Promise<Slice> => {
    const service = services.get(mode);
    if (!service) throw new Error(`no ${mode} service`);
    const before = await countStored(sql);
    const load = await runLoad({ service, connections: INGESTION_CONNECTIONS, run: length, next });
    const after = await countStored(sql);
    return { ...load, stored: after.stored - before.stored, sealed: after.sealed - before.sealed };
  };
  for (const mode of services.keys()) {
    await slice(
      mode,
      { amount: memberships },
      groupTraffic(seed, chatText, { everyMembershipFirst: true }),
    );
  }
  const slices = new Map<VaultMode, Slice[]>();
  for (const mode of INGESTION_ORDER) {
    const measured = await slice(mode, { seconds: seconds / 2 });
    slices.set(mode, [...(slices.get(mode) ?? []), measured]);
  }

  const runs: IngestionRun[] = [];
  for (const [mode, service] of services) {
    await service.stop();
    runs.push({ mode, slices: slices.get(mode) ?? [], log: service.log });
  }
  // The plain slices left readable texts behind; later phases start from an empty table.
  await sql`truncate messages`;
  return runs;
}

/** Version byte 1 starts every sealed value; a plain text starts with a letter. */
async function countStored(sql: Sql): Promise<{ stored: number; sealed: number }> {
  const [rows] = await sql<{ stored: number; sealed: number }[]>`
    select count(*)::int as stored,
           (count(*) filter (where get_byte(text, 0) = 1))::int as sealed
    from messages
  `;
  return rows ?? { stored: 0, sealed: 0 };
}
