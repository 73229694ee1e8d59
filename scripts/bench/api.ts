import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
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
 * GET /api/tasks against its targets: 1,000 distinct users in 10 teams, each request
 * authenticated with its user's init data and answered with the team's 50 open tasks,
 * from autocannon with 100 connections; then the same requests with If-None-Match (304);
 * then the 200s again from a service that keeps no list (each read from the database).
 * The baseline is a bare node:http server in the same run serving the same bytes (each
 * team's answer as the service wrote it) from memory, and 304 for the same ETags. Run with
 * `npm run bench:api` (BENCH_SECONDS, BENCH_DATABASE_URL; BENCH_CPU_PROF=dir writes CPU
 * profiles of the servers).
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
/** Shares of the same-run node:http baseline (issue #16). */
const TARGET_SHARE = 0.25;
const TARGET_304_SHARE = 0.5;
const TARGET_P99_MS = 30;
const SERVER = fileURLToPath(new URL("./api/server.ts", import.meta.url));
const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Every user twice before a measurement: each one's first request writes their profile and
 * reads their membership, which a person pays once, not on every list.
 */
const WARM_UP: Span = { requests: 2 * USERS };
const measuring: Span = { seconds: env.BENCH_SECONDS };
const DEADLINE_MS = (5 * env.BENCH_SECONDS + 10 + 120) * 1000;

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

/** Each team's answer as the service wrote it, keyed by team id. */
type Answers = Record<string, { body: string; etag: string }>;

/** A run of `seconds`, or of `requests` in all (the warm-ups). */
type Span = { seconds: number } | { requests: number };

function load(port: number, span: Span, members: Member[], auth: string[], conditional?: Answers) {
  let next = 0;
  return new Promise<autocannon.Result>((resolve, reject) => {
    autocannon(
      {
        url: `http://127.0.0.1:${port}`,
        connections: CONNECTIONS,
        ...("seconds" in span ? { duration: span.seconds } : { amount: span.requests }),
        requests: [
          {
            setupRequest: (request) => {
              const i = next++ % members.length;
              const member = members[i];
              return {
                ...request,
                method: "GET",
                path: listPath(member?.teamId),
                headers: {
                  authorization: auth[i] ?? "",
                  ...(conditional
                    ? { "if-none-match": conditional[String(member?.teamId)]?.etag ?? "" }
                    : {}),
                },
              };
            },
          },
        ],
      },
      (error: unknown, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

const listPath = (teamId: number | undefined) => `/api/tasks?teamId=${teamId}&limit=50`;

/** One answer per team, as the service gives it: the bytes the baseline serves. */
async function answersOf(port: number, members: Member[], auth: string[]): Promise<Answers> {
  const answers: Answers = {};
  for (const [i, member] of members.entries()) {
    if (answers[member.teamId]) continue;
    const response = await fetch(`http://127.0.0.1:${port}${listPath(member.teamId)}`, {
      headers: { authorization: auth[i] ?? "" },
    });
    const body = await response.text();
    const etag = response.headers.get("etag");
    if (response.status !== 200 || !etag) throw new Error(`list answered ${response.status}`);
    answers[member.teamId] = { body, etag };
  }
  return answers;
}

function line(name: string, result: autocannon.Result, baseline: autocannon.Result) {
  const rps = result.requests.average;
  const share = rps / baseline.requests.average;
  return {
    share,
    p99: result.latency.p99,
    text:
      `  ${name}: ${fmt(rps, 0)} req/s (${fmt(share * 100, 1)} % of node:http's ${fmt(baseline.requests.average, 0)}), ` +
      `p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms (node:http p99 ${baseline.latency.p99} ms)`,
  };
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
      `autocannon ${CONNECTIONS} connections, ${env.BENCH_SECONDS} s per run after a warm-up of ${fmt(2 * USERS, 0)} requests (every user twice)`,
  );
  print(
    "  NOTE: the per-user API limit is raised to 1,000,000/min for the run (1,000 users send ~10/s each).",
  );

  const serviceEnv = {
    BOT_TOKEN: TEST_BOT_TOKEN,
    DATABASE_URL: database.url,
    TELEGRAM_API_ROOT: "http://127.0.0.1:9",
    ENCRYPTION_KEYS: keys.encryptionKey.toString("base64"),
    HASH_SECRET: keys.hashSecret.toString("base64"),
    API_RATE_LIMIT_PER_MINUTE: "1000000",
    LOG_LEVEL: "warn",
  };
  // As deployed: lists kept in memory while nothing they show changes.
  const service = await startServer("service", serviceEnv);
  const answers = await answersOf(service.port, members, auth);
  await load(service.port, WARM_UP, members, auth);
  const measured = await load(service.port, measuring, members, auth);
  const notModified = await load(service.port, measuring, members, auth, answers);
  await service.stop();
  // The same requests when every list is read from the database (a cold or changing list).
  const reading = await startServer("service", { ...serviceEnv, BENCH_KEEP_LISTS: "0" });
  await load(reading.port, WARM_UP, members, auth);
  const read = await load(reading.port, measuring, members, auth);
  await reading.stop();

  const answersFile = join(mkdtempSync(join(tmpdir(), "bench-api-")), "answers.json");
  writeFileSync(answersFile, JSON.stringify(answers));
  const plain = await startServer("plain", { BENCH_ANSWERS: answersFile });
  await load(plain.port, WARM_UP, members, auth);
  const ceiling = await load(plain.port, measuring, members, auth);
  const ceiling304 = await load(plain.port, measuring, members, auth, answers);
  await plain.stop();

  const problems: string[] = [];
  const answered = (result: autocannon.Result, status: "2xx" | "3xx", what: string) => {
    const wrong = result.requests.total - result[status] + result.errors + result.timeouts;
    if (wrong > 0) problems.push(`${wrong} ${what} requests failed or were answered otherwise`);
  };
  answered(measured, "2xx", "list");
  answered(notModified, "3xx", "conditional");
  answered(read, "2xx", "list (read every time)");
  const list = line("GET /api/tasks (200, 50 tasks)", measured, ceiling);
  const conditional = line("GET /api/tasks (304)         ", notModified, ceiling304);
  const everyTime = line("GET /api/tasks (200), read every time", read, ceiling);
  const bytes = Object.values(answers)[0]?.body.length ?? 0;
  print("");
  print(
    `Results (load average ${loadavg()
      .map((n) => n.toFixed(2))
      .join(" ")})`,
  );
  print(`  each answer: ${fmt(bytes, 0)} bytes of JSON`);
  print(list.text);
  print(conditional.text);
  print(`${everyTime.text} [no target: what a list costs when it is not kept]`);
  const verdict = (ok: boolean) => (ok ? "met" : "MISSED");
  print(
    `  targets: 200 ≥ ${TARGET_SHARE * 100} % of node:http: ${verdict(list.share >= TARGET_SHARE)}; ` +
      `p99 < ${TARGET_P99_MS} ms: ${verdict(list.p99 < TARGET_P99_MS)}; ` +
      `304 ≥ ${TARGET_304_SHARE * 100} % of node:http: ${verdict(conditional.share >= TARGET_304_SHARE)}`,
  );
  for (const problem of problems) print(`  PROBLEM: ${problem}`);
  return problems.length === 0 ? 0 : 1;
}

await runBenchmark(main, DEADLINE_MS);
