import { randomBytes } from "node:crypto";
import { z } from "zod";
import { PRIVACY_POLICY_VERSION } from "#bot/privacy/policy";
import { startFakeTelegram, TEST_BOT_TOKEN } from "#test/helpers/fake-telegram";
import { tallyCalls } from "./webhook/calls.ts";
import { onCleanUp, runBenchmark } from "./webhook/cleanup.ts";
import { openBenchDatabase } from "./webhook/database.ts";
import { CONNECTIONS, runMode } from "./webhook/load.ts";
import { pct, print, seconds } from "./webhook/print.ts";
import { report, reportModes } from "./webhook/report.ts";
import { postCards, seedDatabase } from "./webhook/seed.ts";
import { serviceEnv } from "./webhook/service.ts";
import { measureStartups } from "./webhook/startup.ts";
import { countStatements } from "./webhook/statements.ts";
import { CHATTER_ONLY, createTraffic, MIX } from "./webhook/traffic.ts";
import { countWork } from "./webhook/work.ts";

/**
 * Webhook throughput of the real service against a no-op bot behind the same HTTP stack,
 * and start-up time of `npm start`. Run with `npm run bench:webhook` (BENCH_SECONDS,
 * BENCH_DATABASE_URL to change the defaults). Everything it starts, it stops.
 */

const env = z
  .object({
    BENCH_SECONDS: z.coerce.number().int().min(1).max(40).default(15),
    BENCH_DATABASE_URL: z.string().min(1).optional(),
    /** Offered updates/s of the fixed-rate run (realistic mix). */
    BENCH_RATE: z.coerce.number().int().min(1).default(300),
  })
  .parse(process.env);
const SECONDS = env.BENCH_SECONDS;

// Four load runs, seeding, and two cold starts of the service (a first initdb takes a few s).
const DEADLINE_MS = (4 * SECONDS + 100) * 1000;

async function main(): Promise<number> {
  print("Task Tracker webhook benchmark");
  const fake = await startFakeTelegram();
  onCleanUp("fake Telegram", () => fake.close());
  const tally = tallyCalls(fake);
  onCleanUp("call tally", async () => tally.stop());

  const database = await openBenchDatabase(env.BENCH_DATABASE_URL);

  const seedStarted = performance.now();
  const seed = await seedDatabase(database.sql);
  await postCards(seed, fake.apiRoot, TEST_BOT_TOKEN);
  print(
    `  seeded ${seed.chats.length} group chats, ${seed.users.length} users (${seed.startedUsers} started the bot), ` +
      `${seed.memberships} memberships, ${seed.taskCount} open tasks in ${seconds(performance.now() - seedStarted)}`,
  );
  print(
    `  load: autocannon, ${CONNECTIONS} connections, pipelining 1, ${SECONDS} s per mode; every request a new update:` +
      ` ${pct(MIX.text)} group text, ${pct(MIX.tasks)} /tasks, ${pct(MIX.button)} Done/Reopen buttons`,
  );
  print(
    "  NOTE: the app runs with the outgoing throttle and the outbox's pace OFF (replies are still sent) and the per-user rate limit raised to 1,000,000/s:\n" +
      "        the benchmark floods 100 chats far beyond Telegram's real limits on purpose, to measure our code.",
  );

  const secret = `bench-${randomBytes(12).toString("hex")}`;
  const load = {
    env: serviceEnv({ apiRoot: fake.apiRoot, databaseUrl: database.url, secret }),
    secret,
    seconds: SECONDS,
    tally,
  };
  // Fresh traffic per mode: the baseline changes no task, so its idea of which button comes
  // next must not carry over.
  const baseline = await runMode({
    ...load,
    mode: "baseline",
    traffic: createTraffic(seed, 1_000_000),
  });
  const beforeApp = await countWork(database.sql);
  const app = await runMode({ ...load, mode: "app", traffic: createTraffic(seed, 10_000_000) });
  const afterApp = await countWork(database.sql);

  const verdicts = report(baseline, app, beforeApp, afterApp, seed);

  // Half the people consent, so chatter is both sealed and stored and merely tracked.
  await database.sql`update users set consent_version = ${PRIVACY_POLICY_VERSION} where id % 2 = 0`;
  const chatter = await runMode({
    ...load,
    mode: "app",
    label: "app, chatter only",
    traffic: createTraffic(seed, 20_000_000, CHATTER_ONLY),
  });
  const fixedRate = await runMode({
    ...load,
    mode: "app",
    label: `app, mix at ${env.BENCH_RATE}/s`,
    rate: env.BENCH_RATE,
    traffic: createTraffic(seed, 30_000_000),
  });
  const statements = await countStatements(load.env, seed, fake);
  reportModes(baseline, [
    { run: app, minRatio: 0.12 },
    { run: chatter, minRatio: 0.35, maxP99Ms: 50 },
    { run: fixedRate, maxP99Ms: 30 },
  ]);
  print(
    `statements per update (people known): ${Object.entries(statements)
      .map(([kind, count]) => `${kind} ${count}`)
      .join(", ")}; a batch of chatter costs about 8 in all, shared by its updates`,
  );
  const startup = await measureStartups(fake);
  return verdicts.valid && startup.ok ? 0 : 1;
}

await runBenchmark(main, DEADLINE_MS);
