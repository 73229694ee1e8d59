import { randomBytes } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import type { Sql } from "postgres";
import { z } from "zod";
import { systemClock } from "#bot/lib/clock";
import { createLogger } from "#bot/lib/logger";
import { type PurgeCounts, purgeExpired } from "#bot/retention/core/purge";
import type { RetentionSettings } from "#bot/retention/core/types";
import { createVault } from "#db/vault";
import { startFakeTelegram } from "#test/helpers/fake-telegram";
import { type LoadRun, overlapping, percentile, runLoad } from "./privacy/load.ts";
import { type Seed, seedPeople } from "./privacy/seed.ts";
import { type Service, startService } from "./privacy/service.ts";
import { groupTraffic } from "./privacy/updates.ts";
import { onCleanUp, runBenchmark } from "./webhook/cleanup.ts";
import { openBenchDatabase } from "./webhook/database.ts";
import { fmt, print, seconds } from "./webhook/print.ts";

/**
 * The retention purge against its targets: 1,000,000 expired and 200,000 live messages,
 * purged by the service's own purge (batches of 5,000, one instance's lock) while other
 * chats keep asking for /tasks through the webhook. Baselines from the same run: one bare
 * `delete` of the expired set (rolled back) for the rate, and the same /tasks load with no
 * purge for the p99. Run with `npm run bench:purge` (BENCH_SECONDS, BENCH_DATABASE_URL).
 */

const env = z
  .object({
    BENCH_SECONDS: z.coerce.number().int().min(4).max(40).default(8),
    BENCH_DATABASE_URL: z.string().min(1).optional(),
  })
  .parse(process.env);

const EXPIRED = 1_000_000;
const LIVE = 200_000;
const RETENTION_DAYS = 90;
const TASKS_CONNECTIONS = 4;
/** The purge starts this far into the load run, so it meets a load in full swing. */
const PURGE_OFFSET_MS = 1500;
const TARGET_ROWS_PER_SECOND = 500_000;
const TARGET_P99_RATIO = 2;
const DAY = 24 * 60 * 60 * 1000;

const DEADLINE_MS = (3 * env.BENCH_SECONDS + 180) * 1000;

const retention: RetentionSettings = {
  rules: { defaultDays: RETENTION_DAYS, minDays: 1, maxDays: 3650 },
  batchSize: 5000,
  auditRetentionDays: 365,
  purgeIntervalMinutes: 60,
};

/**
 * Messages spread over the seeded teams and their members, in date order as they arrive
 * (teams interleaved): the expired ones from 455 to 91 days old, the live ones from 89
 * days old to now. The text is a placeholder: the purge never opens it.
 */
async function seedMessages(sql: Sql, seed: Seed): Promise<void> {
  const pairs = seed.members.flatMap((person) =>
    person.chats.map((chat) => ({ chat: chat.id, author: person.id })),
  );
  const now = Date.now();
  await sql`create unlogged table bench_pairs (n int primary key, chat bigint, author bigint)`;
  await sql`insert into bench_pairs ${sql(pairs.map((p, n) => ({ n, ...p })))}`;
  const insert = (from: number, count: number, oldestDays: number, newestDays: number) => sql`
    insert into messages (chat_id, message_id, team_id, author_id, text, date)
    select p.chat, g.n, p.chat, p.author, '\\x00'::bytea,
           ${new Date(now - oldestDays * DAY)}::timestamptz
             + (g.n - ${from}) * make_interval(secs => ${((oldestDays - newestDays) * DAY) / 1000 / count})
    from generate_series(${from}::bigint, ${from + count - 1}::bigint) g(n)
    join bench_pairs p on p.n = g.n % ${pairs.length}
  `;
  await insert(1, EXPIRED, 455, RETENTION_DAYS + 1);
  await insert(EXPIRED + 1, LIVE, RETENTION_DAYS - 1, 0);
  await sql`drop table bench_pairs`;
  await sql`vacuum analyze messages`;
}

/** The baseline rate: the whole expired set in one bare statement, then rolled back. */
async function bareDelete(sql: Sql): Promise<{ rows: number; ms: number }> {
  const cutoff = new Date(Date.now() - RETENTION_DAYS * DAY);
  const started = performance.now();
  let rows = 0;
  await sql
    .begin(async (tx) => {
      const result = await tx`delete from messages where date < ${cutoff}`;
      rows = result.count;
      throw new RolledBack();
    })
    .catch((error: unknown) => {
      if (!(error instanceof RolledBack)) throw error;
    });
  return { rows, ms: performance.now() - started };
}

class RolledBack extends Error {}

interface PurgeRun {
  counts: PurgeCounts;
  ms: number;
  from: number;
  to: number;
}

async function purgeDuringLoad(
  sql: Sql,
  service: Service,
  seed: Seed,
): Promise<{ purge: PurgeRun; during: LoadRun }> {
  let purge: Promise<PurgeRun> | undefined;
  const during = await runLoad({
    service,
    connections: TASKS_CONNECTIONS,
    run: { seconds: env.BENCH_SECONDS },
    next: groupTraffic(seed, () => "/tasks"),
    onStart: () => {
      purge = delay(PURGE_OFFSET_MS).then(async () => {
        const from = performance.now();
        const outcome = await purgeExpired(
          { sql, clock: systemClock, log: createLogger("silent"), retention },
          { trigger: "admin", actor: null },
        );
        const to = performance.now();
        if (!outcome.ran) throw new Error("the purge found another instance holding its lock");
        return { counts: outcome.counts, ms: to - from, from, to };
      });
      purge.catch(() => {});
    },
  });
  if (!purge) throw new Error("the load never started");
  return { purge: await purge, during };
}

async function main(): Promise<number> {
  print("Task Tracker retention purge benchmark");
  const fake = await startFakeTelegram();
  onCleanUp("fake Telegram", () => fake.close());
  const database = await openBenchDatabase(env.BENCH_DATABASE_URL);
  print(
    "  NOTE: the service runs with the outgoing throttle OFF and the per-user rate limit raised.",
  );

  const secrets = { encryptionKeys: [randomBytes(32)], hashSecret: randomBytes(32) };
  const vault = createVault(secrets.encryptionKeys, secrets.hashSecret);
  let started = performance.now();
  const seed = await seedPeople(database.sql, vault);
  await seedMessages(database.sql, seed);
  print(
    `  seeded ${seed.chats.length} teams, ${fmt(seed.members.length, 0)} members, ` +
      `${fmt(EXPIRED, 0)} expired and ${fmt(LIVE, 0)} live messages in ${seconds(performance.now() - started)}`,
  );

  print("  baseline: one bare delete of the expired set (rolled back) …");
  const bare = await bareDelete(database.sql);

  const service = await startService("sealed", {
    apiRoot: fake.apiRoot,
    databaseUrl: database.url,
    secrets,
  });
  const load = (seconds: number) =>
    runLoad({
      service,
      connections: TASKS_CONNECTIONS,
      run: { seconds },
      next: groupTraffic(seed, () => "/tasks"),
    });
  print(
    `  /tasks load, ${TASKS_CONNECTIONS} connections: warm-up, ${env.BENCH_SECONDS} s without the purge …`,
  );
  await load(2);
  const baseline = await load(env.BENCH_SECONDS);
  print(
    `  the same load for ${env.BENCH_SECONDS} s with the purge starting after ${PURGE_OFFSET_MS} ms …`,
  );
  started = performance.now();
  const { purge, during } = await purgeDuringLoad(database.sql, service, seed);
  await service.stop();

  const [left] = await database.sql<{ expired: number; live: number }[]>`
    select count(*) filter (where date < now() - make_interval(days => ${RETENTION_DAYS}))::int as expired,
           count(*) filter (where date >= now() - make_interval(days => ${RETENTION_DAYS}))::int as live
    from messages
  `;
  const expired = database.sql`m.date < now() - make_interval(days => ${RETENTION_DAYS})
    and m.team_id <> all(array(select id from teams where retention_days is not null))`;
  const plan = [
    ...(await database.sql<{ "QUERY PLAN": string }[]>`
      explain select m.date from messages m where m.date > ${new Date(0)} and ${expired}
      order by m.date offset 4999 limit 1`),
    ...(await database.sql<{ "QUERY PLAN": string }[]>`
      explain delete from messages m
      where m.date > ${new Date(0)} and m.date <= now() - interval '400 days' and ${expired}`),
  ];

  const purgeRate = purge.counts.messages / (purge.ms / 1000);
  const bareRate = bare.rows / (bare.ms / 1000);
  const overlap = overlapping(during.answers, purge.from, purge.to);
  const p99Base = percentile(baseline.answers, 0.99);
  const p99During = percentile(overlap, 0.99);
  const problems: string[] = [];
  if (purge.counts.messages !== EXPIRED) {
    problems.push(`the purge deleted ${purge.counts.messages}, not ${EXPIRED}`);
  }
  if (left?.expired !== 0) problems.push(`${left?.expired} expired messages are left`);
  if (left?.live !== LIVE) problems.push(`${left?.live} of ${LIVE} live messages are left`);
  const errors = [baseline, during].reduce(
    (sum, run) => sum + run.answers.filter((a) => a.status !== 200).length,
    0,
  );
  if (errors > 0) problems.push(`${errors} webhook requests were not answered 200`);

  print("");
  print("Results");
  print(
    `  purge:        ${fmt(purge.counts.messages, 0)} messages in ${seconds(purge.ms)} = ${fmt(purgeRate, 0)} rows/s` +
      ` (target ≥ ${fmt(TARGET_ROWS_PER_SECOND, 0)}: ${purgeRate >= TARGET_ROWS_PER_SECOND ? "met" : "MISSED"})`,
  );
  print(
    `  baseline:     one bare delete of ${fmt(bare.rows, 0)} rows in ${seconds(bare.ms)} = ${fmt(bareRate, 0)} rows/s;` +
      ` the batched purge runs at ${fmt(purgeRate / bareRate, 2)}x of it`,
  );
  print(
    `  /tasks p99:   ${fmt(p99Base, 1)} ms without the purge (${fmt(baseline.answers.length, 0)} requests),` +
      ` ${fmt(p99During, 1)} ms during it (${fmt(overlap.length, 0)} requests overlapped it)` +
      ` = ${fmt(p99During / p99Base, 2)}x (target ≤ ${TARGET_P99_RATIO}x: ${p99During / p99Base <= TARGET_P99_RATIO ? "met" : "MISSED"})`,
  );
  print(
    `  left:         ${fmt(left?.live ?? 0, 0)} live messages, ${fmt(left?.expired ?? 0, 0)} expired`,
  );
  print("  plan of one batch (the boundary, then the delete):");
  for (const row of plan) print(`    ${row["QUERY PLAN"]}`);
  for (const problem of problems) print(`  PROBLEM: ${problem}`);
  return problems.length === 0 ? 0 : 1;
}

await runBenchmark(main, DEADLINE_MS);
