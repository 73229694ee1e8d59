import { type ChildProcess, execFileSync, fork, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import type { Update, User } from "grammy/types";
import postgres, { type Sql } from "postgres";
import { z } from "zod";
import { createSql } from "#db/client";
import { startEmbeddedPostgres } from "#db/embedded";
import { migrate } from "#db/migrate";
import {
  type FakeTelegram,
  startFakeTelegram,
  TEST_BOT_INFO,
  TEST_BOT_TOKEN,
} from "#test/helpers/fake-telegram";
import type { ChildMessage, ParentMessage, ServerMode } from "./webhook-server.ts";

/**
 * Webhook throughput of the real service against a no-op bot behind the same HTTP stack,
 * and start-up time of `npm start`. Run with `npm run bench:webhook` (BENCH_SECONDS,
 * BENCH_DATABASE_URL to change the defaults). Everything it starts, it stops.
 */

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SERVER_SCRIPT = fileURLToPath(new URL("./webhook-server.ts", import.meta.url));
const LOCAL_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres";

const CHATS = 100;
const USERS = 1000;
const TASKS_PER_CHAT = 20;
const CONNECTIONS = 100;
const MIX = { text: 0.4, tasks: 0.3, button: 0.3 };

const TARGET_RPS = 3000;
const TARGET_P99_MS = 50;
const TARGET_RSS_MB = 250;
const TARGET_START_MS = 1500;
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 15_000;

const env = z
  .object({
    BENCH_SECONDS: z.coerce.number().int().min(1).max(40).default(15),
    BENCH_DATABASE_URL: z.string().min(1).optional(),
  })
  .parse(process.env);
const SECONDS = env.BENCH_SECONDS;

// --- cleanup and the time bound -------------------------------------------------------------

const cleanups: Array<{ what: string; run: () => Promise<unknown> }> = [];
let cleaning: Promise<void> | undefined;

/** Undoes everything, newest first; a failing step is reported and the rest still run. */
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (let step = cleanups.pop(); step; step = cleanups.pop()) {
      await step.run().catch((error: unknown) => {
        process.stderr.write(`cleanup (${step?.what}) failed: ${messageOf(error)}\n`);
      });
    }
  })();
  return cleaning;
}

function abort(reason: string): void {
  process.stderr.write(`\n${reason}: stopping everything the benchmark started\n`);
  // A cleanup that hangs must not keep the process alive for ever.
  setTimeout(() => process.exit(2), 15_000).unref();
  void cleanUp().finally(() => process.exit(2));
}

// Two load runs, seeding, and two cold starts of the service (a first initdb takes a few s).
const DEADLINE_MS = (2 * SECONDS + 80) * 1000;
setTimeout(
  () => abort(`the benchmark ran longer than ${DEADLINE_MS / 1000} s`),
  DEADLINE_MS,
).unref();
process.once("SIGINT", () => abort("interrupted"));
process.once("SIGTERM", () => abort("terminated"));

async function main(): Promise<number> {
  print("Task Tracker webhook benchmark");
  const fake = await startFakeTelegram();
  cleanups.push({ what: "fake Telegram", run: () => fake.close() });
  const tally = tallyCalls(fake);
  cleanups.push({ what: "call tally", run: async () => tally.stop() });

  const server = await findDatabaseServer();
  cleanups.push({ what: "database server", run: () => server.stop() });
  const database = await createBenchDatabase(server.adminUrl);
  print(`  database: ${server.label}, fresh database ${database.name}`);

  const seedStarted = performance.now();
  const seed = await seedDatabase(database.sql);
  print(
    `  seeded ${seed.chats.length} group chats, ${seed.users.length} users (${seed.startedUsers} started the bot), ` +
      `${seed.memberships} memberships, ${seed.taskCount} open tasks in ${seconds(performance.now() - seedStarted)}`,
  );
  print(
    `  load: autocannon, ${CONNECTIONS} connections, pipelining 1, ${SECONDS} s per mode; every request a new update:` +
      ` ${pct(MIX.text)} group text, ${pct(MIX.tasks)} /tasks, ${pct(MIX.button)} Done/Reopen buttons`,
  );
  print(
    "  NOTE: the app runs with the outgoing throttle OFF and the per-user rate limit raised to 1,000,000/s:\n" +
      "        the benchmark floods 100 chats far beyond Telegram's real limits on purpose, to measure our code.",
  );

  const secret = `bench-${randomBytes(12).toString("hex")}`;
  const childEnv = {
    ...process.env,
    BOT_TOKEN: TEST_BOT_TOKEN,
    TELEGRAM_API_ROOT: fake.apiRoot,
    DATABASE_URL: database.url,
    BOT_MODE: "webhook",
    WEBHOOK_SECRET: secret,
    PUBLIC_URL: "https://bench.invalid",
    HOST: "127.0.0.1",
    PORT: "0",
    LOG_LEVEL: "warn",
    // Empty means unset (config.ts): one process, in-memory rate limit.
    REDIS_URL: "",
  };

  // Fresh traffic per mode: the baseline changes no task, so its idea of which button comes
  // next must not carry over.
  const baseline = await runMode(
    "baseline",
    childEnv,
    secret,
    createTraffic(seed, 1_000_000),
    tally,
  );
  const beforeApp = await countWork(database.sql);
  const app = await runMode("app", childEnv, secret, createTraffic(seed, 10_000_000), tally);
  const afterApp = await countWork(database.sql);

  const verdicts = report(baseline, app, beforeApp, afterApp, seed);
  const startup = await measureStartups(fake);
  return verdicts.valid && startup.ok ? 0 : 1;
}

// --- database --------------------------------------------------------------------------------

interface DatabaseServer {
  label: string;
  adminUrl: string;
  stop(): Promise<void>;
}

/**
 * BENCH_DATABASE_URL (`embedded` forces the embedded server, as TEST_DATABASE_URL does for
 * the tests), else the local server when it answers, else an embedded one.
 */
async function findDatabaseServer(): Promise<DatabaseServer> {
  if (env.BENCH_DATABASE_URL === "embedded") return startEmbedded("BENCH_DATABASE_URL=embedded");
  if (env.BENCH_DATABASE_URL) {
    const problem = await unreachable(env.BENCH_DATABASE_URL);
    if (problem) throw new Error(`BENCH_DATABASE_URL does not answer: ${problem}`);
    return { label: "BENCH_DATABASE_URL", adminUrl: env.BENCH_DATABASE_URL, stop: async () => {} };
  }
  if ((await unreachable(LOCAL_DATABASE_URL)) === undefined) {
    return {
      label: "local PostgreSQL on 127.0.0.1:5432",
      adminUrl: LOCAL_DATABASE_URL,
      stop: async () => {},
    };
  }
  return startEmbedded("nothing answered on 5432");
}

async function startEmbedded(why: string): Promise<DatabaseServer> {
  const dir = await mkdtemp(join(tmpdir(), "tt-bench-pg-"));
  // Run as root, postgres runs as its own user, who must be able to enter the folder.
  await chmod(dir, 0o755);
  try {
    const embedded = await startEmbeddedPostgres(join(dir, "pg"));
    return {
      label: `embedded PostgreSQL on 127.0.0.1:${embedded.port} (${why})`,
      adminUrl: embedded.adminUrl,
      stop: async () => {
        await embedded.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function unreachable(url: string): Promise<string | undefined> {
  const sql = postgres(url, { max: 1, connect_timeout: 2, fetch_types: false, onnotice: () => {} });
  try {
    await sql`select 1`;
    return undefined;
  } catch (error) {
    return messageOf(error);
  } finally {
    await sql.end({ timeout: 0 });
  }
}

interface BenchDatabase {
  name: string;
  url: string;
  sql: Sql;
}

async function createBenchDatabase(adminUrl: string): Promise<BenchDatabase> {
  const name = `tt_bench_${Math.floor(Date.now() / 1000)}`;
  const admin = postgres(adminUrl, { max: 1, fetch_types: false, onnotice: () => {} });
  try {
    await admin`create database ${admin(name)}`;
  } finally {
    await admin.end();
  }
  const sql = createSql(urlOfDatabase(adminUrl, name), { max: 4 });
  cleanups.push({
    what: `drop ${name}`,
    run: async () => {
      await sql.end({ timeout: 1 });
      const dropper = postgres(adminUrl, { max: 1, fetch_types: false, onnotice: () => {} });
      try {
        await dropper`drop database if exists ${dropper(name)} with (force)`;
      } finally {
        await dropper.end();
      }
    },
  });
  await migrate(sql);
  return { name, url: urlOfDatabase(adminUrl, name), sql };
}

function urlOfDatabase(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

// --- seed ------------------------------------------------------------------------------------

interface SeedUser {
  id: number;
  firstName: string;
  username: string;
  chats: SeedChat[];
}

interface SeedChat {
  id: number;
  title: string;
  members: SeedUser[];
  taskIds: number[];
}

interface Seed {
  users: SeedUser[];
  chats: SeedChat[];
  startedUsers: number;
  memberships: number;
  taskCount: number;
  seededAt: Date;
}

/** A small seeded generator, so every run sees the same teams and the same traffic shape. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(items: readonly T[], random: () => number): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error("pick from an empty list");
  return item;
}

function chunks<T>(rows: readonly T[], size = 1000): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/**
 * 100 teams, 1,000 users in 1-3 of them, 20 open tasks per team made and assigned by its
 * members; every second user has started the bot, so changes reach them in private.
 */
async function seedDatabase(sql: Sql): Promise<Seed> {
  const random = mulberry32(20_240_601);
  const seededAt = new Date();
  const chats: SeedChat[] = Array.from({ length: CHATS }, (_, i) => ({
    id: -1_001_000_000_001 - i,
    title: `Team ${i + 1}`,
    members: [],
    taskIds: [],
  }));
  const users: SeedUser[] = Array.from({ length: USERS }, (_, i) => ({
    id: 700_000_001 + i,
    firstName: `User${i + 1}`,
    username: `bench_user_${i + 1}`,
    chats: [],
  }));
  users.forEach((user, i) => {
    // Round-robin first so every team has members, then 0-2 more teams at random.
    const wanted = 1 + Math.floor(random() * 3);
    const first = chats[i % CHATS];
    if (first) enrol(user, first);
    while (user.chats.length < wanted) {
      const chat = pick(chats, random);
      if (!user.chats.includes(chat)) enrol(user, chat);
    }
  });
  function enrol(user: SeedUser, chat: SeedChat) {
    user.chats.push(chat);
    chat.members.push(user);
  }

  const userRows = users.map((u, i) => ({
    id: u.id,
    firstName: u.firstName,
    username: u.username,
    languageCode: "en",
    startedAt: i % 2 === 0 ? seededAt : null,
  }));
  for (const rows of chunks(userRows)) {
    await sql`insert into users ${sql(rows, "id", "firstName", "username", "languageCode", "startedAt")}`;
  }
  await sql`insert into teams ${sql(
    chats.map((c) => ({ id: c.id, title: c.title })),
    "id",
    "title",
  )}`;
  const memberRows = chats.flatMap((c) => c.members.map((m) => ({ teamId: c.id, userId: m.id })));
  for (const rows of chunks(memberRows)) {
    await sql`insert into team_members ${sql(rows, "teamId", "userId")}`;
  }
  const taskRows = chats.flatMap((c) =>
    Array.from({ length: TASKS_PER_CHAT }, (_, n) => ({
      teamId: c.id,
      title: `Task ${n + 1} of ${c.title}`,
      creatorId: pick(c.members, random).id,
      assigneeId: pick(c.members, random).id,
    })),
  );
  for (const rows of chunks(taskRows)) {
    const inserted = await sql<{ id: number; teamId: number }[]>`
      insert into tasks ${sql(rows, "teamId", "title", "creatorId", "assigneeId")}
      returning id, team_id
    `;
    for (const row of inserted) chats.find((c) => c.id === row.teamId)?.taskIds.push(row.id);
  }
  return {
    users,
    chats,
    startedUsers: userRows.filter((u) => u.startedAt !== null).length,
    memberships: memberRows.length,
    taskCount: taskRows.length,
    seededAt,
  };
}

// --- traffic ---------------------------------------------------------------------------------

interface Traffic {
  /** The next update, as the JSON body Telegram would post. */
  next(): string;
  /** Updates built so far, by kind (autocannon builds each one just before sending it). */
  built: { text: number; tasks: number; button: number };
}

const GROUP_TEXTS = [
  "morning! standup in 5",
  "I pushed the fix, can someone review?",
  "who has the keys to the staging box?",
  "lunch?",
  "the deploy is green",
];

/** A member of a team writes, asks for /tasks, or taps Done/Reopen on one of its task cards. */
function createTraffic(seed: Seed, firstUpdateId: number): Traffic {
  const random = mulberry32(7);
  const lastTapped = new Map<number, "d" | "o">();
  const botMessageOf = new Map<number, number>();
  const built = { text: 0, tasks: 0, button: 0 };
  let updateId = firstUpdateId;
  let messageId = 1;
  seed.chats.forEach((chat) => {
    chat.taskIds.forEach((taskId, i) => {
      botMessageOf.set(taskId, 10_000 + i);
    });
  });

  function next(): string {
    const user = pick(seed.users, random);
    const chat = pick(user.chats, random);
    const from: User = {
      id: user.id,
      is_bot: false,
      first_name: user.firstName,
      username: user.username,
      language_code: "en",
    };
    const groupChat = { id: chat.id, type: "supergroup" as const, title: chat.title };
    const date = Math.floor(Date.now() / 1000);
    const roll = random();
    let update: Update;
    if (roll < MIX.text) {
      built.text++;
      update = {
        update_id: ++updateId,
        message: {
          message_id: ++messageId,
          date,
          chat: groupChat,
          from,
          text: pick(GROUP_TEXTS, random),
        },
      };
    } else if (roll < MIX.text + MIX.tasks) {
      built.tasks++;
      update = {
        update_id: ++updateId,
        message: {
          message_id: ++messageId,
          date,
          chat: groupChat,
          from,
          text: "/tasks",
          entities: [{ type: "bot_command", offset: 0, length: 6 }],
        },
      };
    } else {
      built.button++;
      const taskId = pick(chat.taskIds, random);
      // Alternate so tasks keep toggling instead of answering "already done".
      const code = lastTapped.get(taskId) === "d" ? "o" : "d";
      lastTapped.set(taskId, code);
      update = {
        update_id: ++updateId,
        callback_query: {
          id: `bench-${updateId}`,
          from,
          chat_instance: `bench${-chat.id}`,
          message: {
            message_id: botMessageOf.get(taskId) ?? 1,
            date,
            chat: groupChat,
            from: TEST_BOT_INFO,
            text: `Task #${taskId}`,
          },
          data: `t:s:${taskId}:${code}`,
        },
      };
    }
    return JSON.stringify(update);
  }
  return { next, built };
}

// --- fake Telegram call tally ----------------------------------------------------------------

interface CallTally {
  /** Counts since the last reset: method → answered ok / failed, and button answers by kind. */
  read(): { methods: Map<string, { ok: number; failed: number }>; answers: Map<string, number> };
  reset(): void;
  stop(): void;
}

/** Counts the fake's calls and forgets them every second, so its memory stays flat. */
function tallyCalls(fake: FakeTelegram): CallTally {
  let methods = new Map<string, { ok: number; failed: number }>();
  let answers = new Map<string, number>();
  const drain = () => {
    for (const call of fake.calls) {
      if (call.response === undefined) continue;
      const counts = methods.get(call.method) ?? { ok: 0, failed: 0 };
      if (call.response.ok) counts.ok++;
      else counts.failed++;
      methods.set(call.method, counts);
      if (call.method === "answerCallbackQuery") {
        const kind = answerKind(call.payload);
        answers.set(kind, (answers.get(kind) ?? 0) + 1);
      }
    }
    fake.clear();
  };
  const timer = setInterval(drain, 1000);
  return {
    read: () => {
      drain();
      return { methods, answers };
    },
    reset: () => {
      drain();
      methods = new Map();
      answers = new Map();
    },
    stop: () => clearInterval(timer),
  };
}

function answerKind(payload: Record<string, unknown>): string {
  const text = typeof payload.text === "string" ? payload.text : "";
  if (/^#\d+ (done|reopened)$/.test(text)) return "changed";
  if (/^#\d+ was already /.test(text)) return "already";
  if (text === "") return "no text";
  return payload.show_alert === true ? `error alert: ${text}` : `other: ${text}`;
}

// --- the service under test ------------------------------------------------------------------

const childMessage = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ready"), port: z.number().int() }),
  z.object({
    type: z.literal("stats"),
    peakRssBytes: z.number(),
    rssBytes: z.number(),
    cpuMicros: z.number(),
  }),
  z.object({ type: z.literal("drained"), ms: z.number(), inFlight: z.number().int() }),
  z.object({ type: z.literal("failed"), message: z.string() }),
]) satisfies z.ZodType<ChildMessage>;

interface ServiceLog {
  /** Log lines by level and message (messages are fixed strings: no user data). */
  counts: Map<string, number>;
  tail: string[];
}

interface Service {
  child: ChildProcess;
  port: number;
  log: ServiceLog;
  stats(): Promise<Extract<ChildMessage, { type: "stats" }>>;
  /** Waits until the requests the load generator abandoned have finished. */
  drain(): Promise<Extract<ChildMessage, { type: "drained" }>>;
  stop(): Promise<void>;
}

async function startService(mode: ServerMode, childEnv: NodeJS.ProcessEnv): Promise<Service> {
  const child = fork(SERVER_SCRIPT, [mode], {
    cwd: REPO_ROOT,
    env: childEnv,
    execArgv: [
      "--import",
      "tsx",
      ...(process.env.BENCH_CPU_PROF
        ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
        : []),
    ],
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  const log: ServiceLog = { counts: new Map(), tail: [] };
  collectLog(child.stdout, log);
  collectLog(child.stderr, log);

  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exited = true;
      resolve();
    }),
  );
  const stop = async () => {
    if (exited) return;
    send(child, { type: "stop" });
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    await exit;
    clearTimeout(timer);
  };
  cleanups.push({ what: `${mode} service`, run: stop });

  const ready = await nextMessage(child, "ready", START_TIMEOUT_MS).catch((error: unknown) => {
    throw new Error(`${mode} service did not start: ${messageOf(error)}\n${log.tail.join("\n")}`);
  });
  return {
    child,
    port: ready.port,
    log,
    stats: () => {
      const answer = nextMessage(child, "stats", 5000);
      send(child, { type: "stats" });
      return answer;
    },
    drain: () => {
      const answer = nextMessage(child, "drained", STOP_TIMEOUT_MS);
      send(child, { type: "drain" });
      return answer;
    },
    stop,
  };
}

function send(child: ChildProcess, message: ParentMessage): void {
  if (child.connected) child.send(message);
}

function nextMessage<T extends ChildMessage["type"]>(
  child: ChildProcess,
  type: T,
  timeoutMs: number,
): Promise<Extract<ChildMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    const onMessage = (raw: unknown) => {
      const parsed = childMessage.safeParse(raw);
      if (!parsed.success) return;
      if (parsed.data.type === "failed") {
        done();
        reject(new Error(parsed.data.message));
      } else if (parsed.data.type === type) {
        done();
        resolve(parsed.data as Extract<ChildMessage, { type: T }>);
      }
    };
    const onExit = (code: number | null) => {
      done();
      reject(new Error(`it exited (code ${code})`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no "${type}" within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}

const logLine = z.looseObject({ level: z.string(), msg: z.string().optional() });

function collectLog(stream: Readable | null, log: ServiceLog): void {
  if (!stream) return;
  createInterface({ input: stream }).on("line", (line) => {
    log.tail.push(line.length > 400 ? `${line.slice(0, 400)}…` : line);
    if (log.tail.length > 30) log.tail.shift();
    let parsed: ReturnType<typeof logLine.safeParse>;
    try {
      parsed = logLine.safeParse(JSON.parse(line));
    } catch {
      parsed = logLine.safeParse(undefined);
    }
    const key = parsed.success ? `${parsed.data.level}: ${parsed.data.msg ?? ""}` : "stderr/other";
    log.counts.set(key, (log.counts.get(key) ?? 0) + 1);
  });
}

// --- load ------------------------------------------------------------------------------------

interface ModeResult {
  mode: ServerMode;
  result: autocannon.Result;
  /** RSS once started, before any load. */
  idleRssBytes: number;
  peakRssBytes: number;
  /** CPU used during the load, in cores (1.0 = one core busy), by whom. */
  cpu: CpuShares;
  /** Load average when the run began: other work on this machine skews the numbers. */
  loadBefore: number;
  drained: Extract<ChildMessage, { type: "drained" }>;
  log: ServiceLog;
  calls: ReturnType<CallTally["read"]>;
  mix: Traffic["built"];
}

async function runMode(
  mode: ServerMode,
  childEnv: NodeJS.ProcessEnv,
  secret: string,
  traffic: Traffic,
  tally: CallTally,
): Promise<ModeResult> {
  const service = await startService(mode, childEnv);
  tally.reset();
  const loadBefore = loadavg()[0] ?? 0;
  const before = await service.stats();
  const cpuBefore = cpuSnapshot();

  const result = await autocannon({
    url: `http://127.0.0.1:${service.port}/telegram/webhook`,
    connections: CONNECTIONS,
    pipelining: 1,
    duration: SECONDS,
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-telegram-bot-api-secret-token": secret,
    },
    requests: [{ setupRequest: (request) => ({ ...request, body: traffic.next() }) }],
  });

  const after = await service.stats();
  const cpu = cpuShares(cpuBefore, cpuSnapshot(), after.cpuMicros - before.cpuMicros);
  const drained = await service.drain();
  const calls = tally.read();
  await service.stop();
  return {
    mode,
    result,
    idleRssBytes: before.rssBytes,
    peakRssBytes: after.peakRssBytes,
    cpu,
    loadBefore,
    drained,
    log: service.log,
    calls,
    mix: traffic.built,
  };
}

// --- CPU accounting --------------------------------------------------------------------------

interface CpuSnapshot {
  at: number;
  /** Busy jiffies of the whole machine (/proc/stat). */
  machine: number;
  /** Jiffies per postgres process (the server and its backends). */
  postgres: Map<number, number>;
  driver: NodeJS.CpuUsage;
}

interface CpuShares {
  service: number;
  postgres: number;
  driver: number;
  /** Everything else on the machine: other people's builds and tests skew a run. */
  other: number;
}

const TICKS_PER_SECOND = clockTicks();

function clockTicks(): number {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
}

function cpuSnapshot(): CpuSnapshot {
  const fields =
    readFileSync("/proc/stat", "utf8").split("\n", 1)[0]?.trim().split(/\s+/).slice(1) ?? [];
  const ticks = fields.map(Number);
  const total = ticks.slice(0, 8).reduce((sum, n) => sum + n, 0);
  // idle and iowait
  const machine = total - (ticks[3] ?? 0) - (ticks[4] ?? 0);
  const postgres = new Map<number, number>();
  for (const { pid, comm, fields: stat } of processes()) {
    if (comm === "postgres") postgres.set(pid, Number(stat[11]) + Number(stat[12]));
  }
  return { at: performance.now(), machine, postgres, driver: process.cpuUsage() };
}

function cpuShares(before: CpuSnapshot, after: CpuSnapshot, serviceMicros: number): CpuShares {
  const wall = (after.at - before.at) / 1000;
  let postgresTicks = 0;
  for (const [pid, ticks] of after.postgres)
    postgresTicks += ticks - (before.postgres.get(pid) ?? 0);
  const driver = process.cpuUsage(before.driver);
  const shares = {
    service: serviceMicros / 1e6 / wall,
    postgres: postgresTicks / TICKS_PER_SECOND / wall,
    driver: (driver.user + driver.system) / 1e6 / wall,
  };
  const machine = (after.machine - before.machine) / TICKS_PER_SECOND / wall;
  return {
    ...shares,
    other: Math.max(0, machine - shares.service - shares.postgres - shares.driver),
  };
}

/** /proc/<pid>/stat of every process: the fields after the command name (state, ppid, pgrp, …). */
function processes(): Array<{ pid: number; comm: string; fields: string[] }> {
  const found: Array<{ pid: number; comm: string; fields: string[] }> = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      found.push({
        pid: Number(entry),
        comm,
        fields: stat.slice(stat.lastIndexOf(")") + 2).split(" "),
      });
    } catch {
      // Exited while we looked.
    }
  }
  return found;
}

// --- what the database holds -----------------------------------------------------------------

interface Work {
  processedUpdates: number;
  tasksDone: number;
  tasksChanged: number;
  memberships: number;
  users: number;
  teams: number;
  conversations: number;
}

async function countWork(sql: Sql): Promise<Work> {
  const [row] = await sql<Work[]>`
    select
      (select count(*)::int from processed_updates) as processed_updates,
      (select count(*)::int from tasks where status = 'done') as tasks_done,
      (select count(*)::int from tasks where updated_at > created_at) as tasks_changed,
      (select count(*)::int from team_members) as memberships,
      (select count(*)::int from users) as users,
      (select count(*)::int from teams) as teams,
      (select count(*)::int from conversations) as conversations
  `;
  if (!row) throw new Error("count query returned nothing");
  return row;
}

// --- report ----------------------------------------------------------------------------------

function report(
  baseline: ModeResult,
  app: ModeResult,
  before: Work,
  after: Work,
  seed: Seed,
): { valid: boolean } {
  print("");
  const header = [
    "mode",
    "req/s",
    "p50 ms",
    "p99 ms",
    "2xx",
    "non-2xx",
    "errors",
    "timeouts",
    "idle → peak RSS",
  ];
  const rows = [baseline, app].map((m) => [
    m.mode,
    fmt(m.result.requests.average, 0),
    fmt(m.result.latency.p50, 1),
    fmt(m.result.latency.p99, 1),
    fmt(m.result["2xx"], 0),
    fmt(m.result.non2xx, 0),
    fmt(m.result.errors, 0),
    fmt(m.result.timeouts, 0),
    `${fmt(m.idleRssBytes / 2 ** 20, 0)} → ${fmt(m.peakRssBytes / 2 ** 20, 0)} MB`,
  ]);
  printTable(header, rows);
  print("");
  print("CPU during the load, in cores (this machine has 2; load average when each run began):");
  printTable(
    ["mode", "service", "ms CPU/request", "postgres", "autocannon+fake", "other", "load avg"],
    [baseline, app].map((m) => [
      m.mode,
      fmt(m.cpu.service, 2),
      fmt((m.cpu.service * m.result.duration * 1000) / Math.max(1, m.result.requests.total), 2),
      fmt(m.cpu.postgres, 2),
      fmt(m.cpu.driver, 2),
      fmt(m.cpu.other, 2),
      fmt(m.loadBefore, 2),
    ]),
  );
  for (const m of [baseline, app]) {
    print(
      `  ${m.mode}: after the load, ${m.drained.inFlight === 0 ? "the last abandoned requests finished" : `${m.drained.inFlight} requests were STILL running`} in ${fmt(m.drained.ms, 0)} ms`,
    );
  }

  const problems: string[] = [];
  for (const m of [baseline, app]) problems.push(...runProblems(m));

  const work = {
    processed: after.processedUpdates - before.processedUpdates,
    done: after.tasksDone,
    changed: after.tasksChanged,
  };
  const answered = app.result["2xx"];
  const sent = app.result.requests.sent;
  // Updates still in flight when autocannon stopped are processed but never counted as 2xx.
  if (work.processed < answered * 0.99) {
    problems.push(
      `the database recorded ${work.processed} updates but the app answered ${answered} with 2xx`,
    );
  }
  if (app.mix.button > 0 && work.changed === 0) problems.push("no task changed status");
  if (after.memberships !== seed.memberships) {
    problems.push(
      `memberships changed from ${seed.memberships} to ${after.memberships}: traffic came from non-members`,
    );
  }
  const answers = app.calls.answers;
  const changedAnswers = answers.get("changed") ?? 0;
  const failedAnswers = [...answers].filter(
    ([kind]) => kind.startsWith("error") || kind.startsWith("other"),
  );
  const failedCount = failedAnswers.reduce((sum, [, n]) => sum + n, 0);
  if (failedCount > answered * 0.01)
    problems.push(`${failedCount} button presses were answered with an error`);
  const serviceErrors = [...app.log.counts].filter(([key]) => /^(error|fatal)/.test(key));
  const errorLines = serviceErrors.reduce((sum, [, n]) => sum + n, 0);
  if (errorLines > answered * 0.01) problems.push(`the service logged ${errorLines} errors`);

  const valid = problems.length === 0;
  const ratio = app.result.requests.average / baseline.result.requests.average;
  const rssMb = app.peakRssBytes / 2 ** 20;
  print("");
  if (!valid)
    print("INVALID RUN (see the reasons below): these numbers are not those of working requests");
  print(`ratio app/baseline = ${fmt(ratio, 2)} (${fmt(ratio * 100, 1)}% of the no-op ceiling)`);
  print(
    `app peak RSS = ${fmt(rssMb, 0)} MB (target < ${TARGET_RSS_MB} MB: ${rssMb < TARGET_RSS_MB ? "ok" : "MISSED"})`,
  );

  print("");
  print(
    `database after the app run: ${work.processed} updates recorded as processed (app answered ${answered} with 2xx, ` +
      `${sent} sent); ${work.changed} of ${seed.taskCount} tasks changed status at least once, ${work.done} now done; ` +
      `${after.users} users, ${after.teams} teams, ${after.memberships} memberships (seeded ${seed.memberships}), ` +
      `${after.conversations} conversation rows`,
  );
  print(
    `updates sent to the app: ${app.mix.text} group texts, ${app.mix.tasks} /tasks, ${app.mix.button} button presses`,
  );
  print(`Bot API calls the app made: ${describeMethods(app.calls.methods)}`);
  print(
    `button answers: ${[...answers].map(([kind, n]) => `${kind} ${n}`).join(", ") || "none"}` +
      ` (${changedAnswers} changed a task${answers.has("already") ? '; "already": two taps on one task overtook each other' : ""})`,
  );
  const logSummary = [...app.log.counts].map(([key, n]) => `${key} ×${n}`).join("; ");
  print(`service log at warn and above: ${logSummary || "nothing"}`);
  if (errorLines > 0) {
    print("  last service log lines:");
    for (const line of app.log.tail.slice(-5)) print(`    ${line}`);
  }

  print("");
  if (!valid) {
    print("INVALID RUN: the numbers above do not measure working requests:");
    for (const problem of problems) print(`  - ${problem}`);
    print("targets: not judged");
    return { valid };
  }
  const rps = app.result.requests.average;
  const p99 = app.result.latency.p99;
  const hold = rps >= TARGET_RPS && p99 < TARGET_P99_MS && rssMb < TARGET_RSS_MB;
  print(
    `targets: ≥ ${fmt(TARGET_RPS, 0)} req/s ${rps >= TARGET_RPS ? "ok" : "MISSED"} (${fmt(rps, 0)}), ` +
      `p99 < ${TARGET_P99_MS} ms ${p99 < TARGET_P99_MS ? "ok" : "MISSED"} (${fmt(p99, 1)} ms), ` +
      `RSS < ${TARGET_RSS_MB} MB ${rssMb < TARGET_RSS_MB ? "ok" : "MISSED"} → ${hold ? "targets hold" : "targets DO NOT hold"}`,
  );
  return { valid };
}

function runProblems(m: ModeResult): string[] {
  const r = m.result;
  const problems: string[] = [];
  if (r["2xx"] === 0) problems.push(`${m.mode}: no request succeeded`);
  else if (r.non2xx + r.errors > r["2xx"] * 0.01) {
    const codes = Object.entries(r.statusCodeStats ?? {})
      .map(([code, s]) => `${code} ×${s.count ?? 0}`)
      .join(", ");
    problems.push(
      `${m.mode}: ${r.non2xx} non-2xx (${codes}) and ${r.errors} errors against ${r["2xx"]} successes`,
    );
  }
  return problems;
}

function describeMethods(methods: Map<string, { ok: number; failed: number }>): string {
  const parts = [...methods].map(
    ([method, c]) => `${method} ${c.ok}${c.failed > 0 ? ` (+${c.failed} failed)` : ""}`,
  );
  return parts.join(", ") || "none";
}

// --- start-up time ---------------------------------------------------------------------------

interface StartupRun {
  ms: number;
  /** When the embedded server's postmaster.pid appeared: the rest is Node, migrations, the bot. */
  postgresMs?: number;
  /** From SIGTERM until npm, its children and the embedded server had all exited. */
  stopMs?: number;
  problem?: string;
}

/** `npm start` on a new data dir, then again on the same one: spawn → /healthz answers 200. */
async function measureStartups(fake: FakeTelegram): Promise<{ ok: boolean }> {
  print("");
  print(
    "start-up of `npm start` (embedded PostgreSQL, polling mode) until GET /healthz answers 200:",
  );
  const dataDir = await mkdtemp(join(tmpdir(), "tt-bench-data-"));
  // Run as root, postgres runs as its own user, who must be able to enter the folder.
  await chmod(dataDir, 0o755);
  cleanups.push({
    what: "start-up data dir",
    run: () => rm(dataDir, { recursive: true, force: true }),
  });

  const fresh = await startOnce(fake, dataDir);
  print(`  new data dir:      ${describeStartup(fresh)}`);
  if (fresh.problem) return { ok: false };
  const again = await startOnce(fake, dataDir);
  const fast = again.ms < TARGET_START_MS;
  print(`  existing data dir: ${describeStartup(again)}`);
  if (!again.problem) {
    print(
      `  start-up on an existing data dir < ${TARGET_START_MS / 1000} s: ${fast ? "ok" : "MISSED"}`,
    );
  }
  return { ok: !again.problem };
}

function describeStartup(run: StartupRun): string {
  if (run.problem) return `FAILED after ${seconds(run.ms)}: ${run.problem}`;
  const postgres =
    run.postgresMs === undefined ? "" : `; postmaster.pid appeared at ${seconds(run.postgresMs)}`;
  const stopped =
    run.stopMs === undefined
      ? ""
      : `; SIGTERM → all exited, postmaster.pid gone in ${seconds(run.stopMs)}`;
  return `${seconds(run.ms)}${postgres}${stopped}`;
}

async function startOnce(fake: FakeTelegram, dataDir: string): Promise<StartupRun> {
  const port = await freePort();
  const startEnv = {
    ...process.env,
    BOT_TOKEN: TEST_BOT_TOKEN,
    TELEGRAM_API_ROOT: fake.apiRoot,
    DATA_DIR: dataDir,
    // Empty means unset to config.ts, and unlike a deleted variable a .env file cannot fill it.
    DATABASE_URL: "",
    REDIS_URL: "",
    HOST: "127.0.0.1",
    PORT: String(port),
    BOT_MODE: "polling",
    LOG_LEVEL: "warn",
  };
  const started = performance.now();
  const child = spawn("npm", ["start"], {
    cwd: REPO_ROOT,
    env: startEnv,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log: ServiceLog = { counts: new Map(), tail: [] };
  collectLog(child.stdout, log);
  collectLog(child.stderr, log);
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code) => {
      exitCode = code;
      resolve();
    }),
  );
  const pgid = child.pid;
  if (pgid === undefined) return { ms: 0, problem: "npm did not start" };
  const stop = () => stopGroup(pgid, exited, dataDir);
  cleanups.push({ what: "npm start", run: stop });

  let ms = 0;
  let problem: string | undefined;
  let postgresMs: number | undefined;
  const pidFile = join(dataDir, "pg", "postmaster.pid");
  const deadline = started + START_TIMEOUT_MS;
  for (;;) {
    if (postgresMs === undefined && existsSync(pidFile)) postgresMs = performance.now() - started;
    if (exitCode !== undefined) {
      problem = `it exited with code ${exitCode} before answering`;
      break;
    }
    if (performance.now() > deadline) {
      problem = `no 200 from /healthz within ${START_TIMEOUT_MS / 1000} s`;
      break;
    }
    if (await healthy(port)) {
      ms = performance.now() - started;
      break;
    }
    await delay(20);
  }
  if (problem) {
    ms = performance.now() - started;
    problem += `; its output ends with:\n${log.tail.map((l) => `      ${l}`).join("\n")}`;
  }
  const stopping = performance.now();
  const stopProblem = await stop();
  const stopMs = performance.now() - stopping;
  const index = cleanups.findIndex((c) => c.run === stop);
  if (index !== -1) cleanups.splice(index, 1);
  if (stopProblem) problem = problem ? `${problem}; ${stopProblem}` : stopProblem;
  if (problem) return { ms, problem };
  return postgresMs === undefined ? { ms, stopMs } : { ms, postgresMs, stopMs };
}

async function healthy(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`, {
      signal: AbortSignal.timeout(1000),
    });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

/**
 * SIGTERM to the process group we created (npm, tsx and the service's node, and the
 * embedded postgres they started), wait for npm to exit, then for the whole group and
 * the postmaster to be gone. Returns a problem, or undefined when everything stopped.
 */
async function stopGroup(
  pgid: number,
  exited: Promise<void>,
  dataDir: string,
): Promise<string | undefined> {
  signalGroup(pgid, "SIGTERM");
  const inTime = await Promise.race([
    exited.then(() => true),
    delay(STOP_TIMEOUT_MS).then(() => false),
  ]);
  const gone = inTime && (await until(() => groupMembers(pgid).length === 0, STOP_TIMEOUT_MS));
  if (!gone) {
    const left = groupMembers(pgid);
    signalGroup(pgid, "SIGKILL");
    return `did not stop within ${STOP_TIMEOUT_MS / 1000} s of SIGTERM (killed pids ${left.join(", ")})`;
  }
  if (existsSync(join(dataDir, "pg", "postmaster.pid"))) {
    return "postmaster.pid is still there after exit: embedded postgres was not stopped cleanly";
  }
  return undefined;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // The group is already empty.
  }
}

/** Live processes (zombies excluded) in a process group, from /proc. */
function groupMembers(pgid: number): number[] {
  return processes()
    .filter((p) => Number(p.fields[2]) === pgid && p.fields[0] !== "Z")
    .map((p) => p.pid);
}

/** Polls a condition (processes that are not our children send no event) until a bound. */
async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (let wait = 5; !condition(); wait = Math.min(wait * 2, 100)) {
    if (performance.now() > deadline) return false;
    await delay(wait);
  }
  return true;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

// --- formatting ------------------------------------------------------------------------------

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join("  ");
  print(line(header));
  for (const row of rows) print(line(row));
}

function fmt(value: number, digits: number): string {
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function pct(share: number): string {
  return `${Math.round(share * 100)}%`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// --- run (last, so every constant above is initialised) ----------------------------------------

const startedAt = performance.now();
let exitCode = 0;
try {
  exitCode = await main();
} catch (error) {
  process.stderr.write(`benchmark failed: ${error instanceof Error ? error.stack : error}\n`);
  exitCode = 1;
} finally {
  await cleanUp();
}
print(`\n(whole run ${seconds(performance.now() - startedAt)})`);
process.exit(exitCode);
