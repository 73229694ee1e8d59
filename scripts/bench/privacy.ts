import { randomBytes } from "node:crypto";
import { z } from "zod";
import { createVault } from "#db/vault";
import { startFakeTelegram } from "#test/helpers/fake-telegram";
import { measureErasure } from "./privacy/erasure.ts";
import { measureExport } from "./privacy/export.ts";
import { INGESTION_CONNECTIONS, measureIngestion } from "./privacy/ingestion.ts";
import { report } from "./privacy/report.ts";
import { seedExporter, seedMessages, seedPeople } from "./privacy/seed.ts";
import { startService } from "./privacy/service.ts";
import { onCleanUp, runBenchmark } from "./webhook/cleanup.ts";
import { openBenchDatabase } from "./webhook/database.ts";
import { fmt, print, seconds } from "./webhook/print.ts";

/**
 * The privacy targets of the real service, each against a baseline measured in the same run:
 * export of a person with 100,000 stored messages (time, memory) against a bare cursor read;
 * their erasure, and the p99 of other chats' /tasks meanwhile against the same load without
 * it; and the throughput of recording group messages with encryption against a no-op vault.
 * Run with `npm run bench:privacy` (BENCH_SECONDS, BENCH_DATABASE_URL to change the
 * defaults; BENCH_EXPORT_MESSAGES=1000000 adds the export of a second person with that many
 * messages, by the same service, against its own cursor read). Everything it starts, it stops.
 */

const env = z
  .object({
    BENCH_SECONDS: z.coerce.number().int().min(1).max(40).default(10),
    BENCH_DATABASE_URL: z.string().min(1).optional(),
    /** A second export, of a person with this many messages (say 1000000), after the rest. */
    BENCH_EXPORT_MESSAGES: z.coerce.number().int().min(1).max(10_000_000).optional(),
  })
  .parse(process.env);
const SECONDS = env.BENCH_SECONDS;
const MESSAGES = 100_000;
const LARGE_EXPORT = env.BENCH_EXPORT_MESSAGES;

// SECONDS of ingestion per vault, plus (about a minute here) their warm-ups, the seeding,
// three service starts, the export and the /tasks runs around the erasure; and for a
// large export, about 0.2 ms per message to seed and export it.
const DEADLINE_MS = (2 * SECONDS + 150 + (LARGE_EXPORT ?? 0) / 5000) * 1000;

async function main(): Promise<number> {
  print("Task Tracker privacy benchmark");
  const fake = await startFakeTelegram();
  onCleanUp("fake Telegram", () => fake.close());

  const database = await openBenchDatabase(env.BENCH_DATABASE_URL);
  print(
    "  NOTE: the service runs with the outgoing throttle OFF and the per-user rate limit raised to 1,000,000/s,\n" +
      "        and fresh random secrets: the seeder seals with them, the service opens with them.",
  );

  // A throwaway database: fresh secrets each run.
  const secrets = { encryptionKeys: [randomBytes(32)], hashSecret: randomBytes(32) };
  const vault = createVault(secrets.encryptionKeys, secrets.hashSecret);
  const target = { apiRoot: fake.apiRoot, databaseUrl: database.url, secrets };

  let started = performance.now();
  const seed = await seedPeople(database.sql, vault);
  print(
    `  seeded ${seed.chats.length} teams, ${fmt(seed.members.length, 0)} members who all consent` +
      ` (${fmt(seed.memberships, 0)} memberships), ${fmt(seed.tasks, 0)} open tasks, and the exporter` +
      ` in ${seconds(performance.now() - started)}`,
  );

  print(
    `  3. ingestion: ${SECONDS} s of group texts per vault, autocannon ${INGESTION_CONNECTIONS} connections …`,
  );
  const ingested = await measureIngestion(database.sql, target, seed, SECONDS);

  started = performance.now();
  await seedMessages(database.sql, vault, seed.exporter, MESSAGES);
  print(
    `  seeded ${fmt(MESSAGES, 0)} sealed messages of the exporter in ${seconds(performance.now() - started)}`,
  );

  // Consent and messages are seeded before the service starts: it caches what it reads.
  const exporter2 = LARGE_EXPORT ? await seedExporter(database.sql, vault, 2) : undefined;
  const service = await startService("sealed", target);

  /** The same export, by the same service, of a second person with `count` messages. */
  async function measureLargeExport(count: number) {
    if (!exporter2) throw new Error("the second exporter was not seeded");
    const started = performance.now();
    await seedMessages(database.sql, vault, exporter2, count);
    print(
      `  4. export of ${fmt(count, 0)} messages (seeded in ${seconds(performance.now() - started)}) …`,
    );
    const result = await measureExport(database.sql, service, fake, seed, exporter2, count);
    return { messages: count, exported: result };
  }
  print("  1. export …");
  const exported = await measureExport(database.sql, service, fake, seed, seed.exporter, MESSAGES);
  print("  2. erasure under /tasks load …");
  const erased = await measureErasure(database.sql, service, fake, seed, MESSAGES);
  const large = LARGE_EXPORT ? await measureLargeExport(LARGE_EXPORT) : undefined;
  await service.stop();

  const { valid } = report({
    messages: MESSAGES,
    exported,
    large,
    erased,
    ingested,
    log: service.log,
  });
  return valid ? 0 : 1;
}

await runBenchmark(main, DEADLINE_MS);
