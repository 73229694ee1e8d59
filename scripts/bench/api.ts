import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { sign } from "@telegram-apps/init-data-node";
import autocannon from "autocannon";
import type { Sql } from "postgres";
import { z } from "zod";
import { sealLegacyTaskTexts } from "#db/task-texts";
import { createVault, type Vault } from "#db/vault";
import { TEST_BOT_TOKEN } from "#test/helpers/fake-telegram";
import { onCleanUp, runBenchmark } from "./webhook/cleanup.ts";
import { openBenchDatabase } from "./webhook/database.ts";
import { fmt, print } from "./webhook/print.ts";

/**
 * GET /api/tasks against its target: 1,000 distinct users in 10 teams, each request
 * authenticated with its user's init data and answered with the team's 50 open tasks,
 * from autocannon with 100 connections; the baseline is a bare node:http server in the
 * same run. Run with `npm run bench:api` (BENCH_SECONDS, BENCH_DATABASE_URL;
 * BENCH_CPU_PROF=dir writes CPU profiles of the servers).
 */

const env = z
  .object({
    BENCH_SECONDS: z.coerce.number().int().min(2).max(60).default(10),
    BENCH_DATABASE_URL: z.string().min(1).optional(),
  })
  .parse(process.env);

const USERS = 1000;
const TEAMS = 10;
const TASKS_PER_TEAM = 50;
const CONNECTIONS = 100;
const TARGET_RPS = 8000;
const TARGET_P99_MS = 30;
const SERVER = fileURLToPath(new URL("./api/server.ts", import.meta.url));
const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

const DEADLINE_MS = (4 * env.BENCH_SECONDS + 120) * 1000;

interface Member {
  id: number;
  teamId: number;
}

async function seed(sql: Sql, vault: Vault): Promise<Member[]> {
  const members: Member[] = Array.from({ length: USERS }, (_, i) => ({
    id: 810_000_001 + i,
    teamId: -1_001_300_000_001 - (i % TEAMS),
  }));
  const teams = [...new Set(members.map((m) => m.teamId))];
  await sql`insert into teams ${sql(teams.map((id) => ({ id, title: `Team ${id}` })))}`;
  // Names are sealed with the service's keys; the list does not need them.
  await sql`insert into users ${sql(members.map((m) => ({ id: m.id })))}`;
  await sql`insert into team_members ${sql(members.map((m) => ({ teamId: m.teamId, userId: m.id })))}`;
  const tasks = teams.flatMap((teamId) => {
    const inTeam = members.filter((m) => m.teamId === teamId);
    return Array.from({ length: TASKS_PER_TEAM }, (_, n) => ({
      teamId,
      legacyTitle: `Task ${n + 1}`,
      creatorId: inTeam[n % inTeam.length]?.id ?? null,
      assigneeId: inTeam[(n * 7) % inTeam.length]?.id ?? null,
    }));
  });
  await sql`insert into tasks ${sql(tasks)}`;
  // Sealed with the service's keys, as the service does at start: the list opens each title.
  await sealLegacyTaskTexts(sql, vault);
  await sql`analyze`;
  return members;
}

async function startServer(mode: "plain" | "service", extraEnv: Record<string, string>) {
  const profile = process.env.BENCH_CPU_PROF
    ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
    : [];
  const child = spawn(process.execPath, [...profile, "--import", "tsx", SERVER, mode], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...extraEnv },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const stop = async () => {
    if (child.exitCode !== null) return;
    child.kill("SIGTERM");
    await once(child, "exit");
  };
  onCleanUp(`${mode} server`, stop);
  const port = await readyPort(child);
  return { port, stop };
}

async function readyPort(child: ChildProcess): Promise<number> {
  if (!child.stdout) throw new Error("no stdout");
  for await (const line of createInterface({ input: child.stdout })) {
    const match = /^ready (\d+)$/.exec(line);
    if (match) return Number(match[1]);
  }
  throw new Error("the server exited before it was ready");
}

function load(port: number, seconds: number, members: Member[], auth: string[]) {
  let next = 0;
  return new Promise<autocannon.Result>((resolve, reject) => {
    autocannon(
      {
        url: `http://127.0.0.1:${port}`,
        connections: CONNECTIONS,
        duration: seconds,
        requests: [
          {
            setupRequest: (request) => {
              const i = next++ % members.length;
              const member = members[i];
              return {
                ...request,
                method: "GET",
                path: `/api/tasks?teamId=${member?.teamId}&limit=50`,
                headers: { authorization: auth[i] ?? "" },
              };
            },
          },
        ],
      },
      (error: unknown, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

async function main(): Promise<number> {
  print("Task Tracker Mini App API benchmark");
  const database = await openBenchDatabase(env.BENCH_DATABASE_URL);
  const keys = { encryptionKey: randomBytes(32), hashSecret: randomBytes(32) };
  const members = await seed(database.sql, createVault([keys.encryptionKey], keys.hashSecret));
  const authDate = new Date();
  const auth = members.map(
    (m) =>
      `tma ${sign({ user: { id: m.id, first_name: `User${m.id}` } }, TEST_BOT_TOKEN, authDate)}`,
  );
  print(
    `  seeded ${fmt(USERS, 0)} users in ${TEAMS} teams with ${TASKS_PER_TEAM} open tasks each; ` +
      `autocannon ${CONNECTIONS} connections, ${env.BENCH_SECONDS} s per run after a 2 s warm-up`,
  );
  print(
    "  NOTE: the per-user API limit is raised to 1,000,000/min for the run (1,000 users send ~10/s each).",
  );

  const plain = await startServer("plain", {});
  await load(plain.port, 2, members, auth);
  const ceiling = await load(plain.port, env.BENCH_SECONDS, members, auth);
  await plain.stop();

  const service = await startServer("service", {
    BOT_TOKEN: TEST_BOT_TOKEN,
    DATABASE_URL: database.url,
    TELEGRAM_API_ROOT: "http://127.0.0.1:9",
    ENCRYPTION_KEYS: keys.encryptionKey.toString("base64"),
    HASH_SECRET: keys.hashSecret.toString("base64"),
    API_RATE_LIMIT_PER_MINUTE: "1000000",
    LOG_LEVEL: "warn",
  });
  await load(service.port, 2, members, auth);
  const measured = await load(service.port, env.BENCH_SECONDS, members, auth);
  await service.stop();

  const problems: string[] = [];
  const non2xx = measured.non2xx + measured.errors;
  if (non2xx > 0) problems.push(`${non2xx} requests failed or were not answered 200`);
  const rps = measured.requests.average;
  const p99 = measured.latency.p99;
  print("");
  print("Results");
  print(
    `  plain node:http ceiling: ${fmt(ceiling.requests.average, 0)} req/s, p50 ${ceiling.latency.p50} ms, p99 ${ceiling.latency.p99} ms`,
  );
  print(
    `  GET /api/tasks:          ${fmt(rps, 0)} req/s (${fmt((rps / ceiling.requests.average) * 100, 1)} % of the ceiling; ` +
      `target ≥ ${fmt(TARGET_RPS, 0)}: ${rps >= TARGET_RPS ? "met" : "MISSED"}), p50 ${measured.latency.p50} ms, ` +
      `p99 ${p99} ms (target < ${TARGET_P99_MS}: ${p99 < TARGET_P99_MS ? "met" : "MISSED"})`,
  );
  print(
    `  answers: ${fmt(measured.requests.total, 0)} total, ${measured.non2xx} non-2xx, ${measured.errors} errors`,
  );
  for (const problem of problems) print(`  PROBLEM: ${problem}`);
  return problems.length === 0 ? 0 : 1;
}

await runBenchmark(main, DEADLINE_MS);
