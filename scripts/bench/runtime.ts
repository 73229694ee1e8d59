import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { cp, mkdtemp, rm, symlink } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { z } from "zod";
import { createSql } from "#db/client";
import { freePort } from "#db/embedded";
import { migrate } from "#db/migrate";
import { startFakeTelegram, TEST_BOT_TOKEN } from "#test/helpers/fake-telegram";
import { buildServer } from "../build-server.ts";

/**
 * `npm run bench:runtime`: how long the service takes from spawn to GET /readyz 200, as the
 * image runs it (`node dist/main.js`) and as `npm start` does (`node --import tsx
 * bot/main.ts`), on this machine's Node and, with BENCH_NODE24=/path/to/node, on Node 24
 * (scripts/node24.sh fetches one). Runs alternate between the variants; each is started
 * BENCH_RUNS times (default 7) on one migrated database and a fake Bot API; medians printed.
 */

const env = z
  .object({
    BENCH_RUNS: z.coerce.number().int().min(1).default(7),
    BENCH_NODE24: z.string().min(1).optional(),
    BENCH_DATABASE_URL: z.string().min(1).default("postgres://postgres@127.0.0.1:5432/postgres"),
  })
  .parse(process.env);

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const KEY = Buffer.alloc(32, 3).toString("base64");

interface Variant {
  label: string;
  node: string;
  args: string[];
  cwd: string;
}

const root = await mkdtemp(join(tmpdir(), "task-tracker-bench-runtime-"));
const database = `tt_bench_runtime_${randomBytes(4).toString("hex")}`;
const admin = postgres(env.BENCH_DATABASE_URL, { max: 1, onnotice: () => {} });
const fake = await startFakeTelegram();
try {
  const bundle = await buildServer(join(root, "dist"));
  await cp(join(REPO, "db/migrations"), join(root, "db/migrations"), { recursive: true });
  await symlink(join(REPO, "node_modules"), join(root, "node_modules"));
  await admin`create database ${admin(database)}`;
  const url = new URL(env.BENCH_DATABASE_URL);
  url.pathname = `/${database}`;
  const sql = createSql(url.toString(), { max: 1 });
  await migrate(sql);
  await sql.end();

  const nodes = [{ name: `Node ${process.versions.node}`, path: process.execPath }];
  if (env.BENCH_NODE24) {
    const version = await output(env.BENCH_NODE24, ["--version"]);
    nodes.push({ name: `Node ${version.trim().slice(1)}`, path: env.BENCH_NODE24 });
  }
  const variants: Variant[] = nodes.flatMap((node) => [
    { label: `${node.name}, node dist/main.js`, node: node.path, args: [bundle], cwd: root },
    {
      label: `${node.name}, node --import tsx bot/main.ts`,
      node: node.path,
      args: ["--import", "tsx", "bot/main.ts"],
      cwd: REPO,
    },
  ]);

  console.log(
    `load average before: ${loadavg()
      .map((n) => n.toFixed(2))
      .join(" ")}`,
  );
  const times = new Map<string, number[]>(variants.map((v) => [v.label, []]));
  // One start of each first, not counted (the file system cache), then rounds in turn.
  for (const variant of variants) await startOnce(variant, url.toString());
  for (let round = 0; round < env.BENCH_RUNS; round++) {
    for (const variant of variants) {
      times.get(variant.label)?.push(await startOnce(variant, url.toString()));
    }
  }
  console.log(`spawn → GET /readyz 200, ${env.BENCH_RUNS} runs each (ms):`);
  for (const [label, runs] of times) {
    const sorted = [...runs].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
    console.log(
      `  ${label}: median ${median.toFixed(0)}  (${runs.map((ms) => ms.toFixed(0)).join(", ")})`,
    );
  }
  console.log(
    `load average after: ${loadavg()
      .map((n) => n.toFixed(2))
      .join(" ")}`,
  );
} finally {
  await fake.close();
  await admin`drop database if exists ${admin(database)} with (force)`;
  await admin.end();
  await rm(root, { recursive: true, force: true });
}

async function startOnce(variant: Variant, databaseUrl: string): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(variant.node, variant.args, {
    cwd: variant.cwd,
    env: {
      PATH: process.env.PATH ?? "",
      NODE_ENV: "production",
      BOT_TOKEN: TEST_BOT_TOKEN,
      TELEGRAM_API_ROOT: fake.apiRoot,
      DATABASE_URL: databaseUrl,
      ENCRYPTION_KEYS: KEY,
      HASH_SECRET: KEY,
      HOST: "127.0.0.1",
      PORT: String(port),
      LOG_LEVEL: "warn",
      PURGE_INTERVAL_MINUTES: "0",
    },
    stdio: "ignore",
  });
  const exited = once(child, "exit");
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${variant.label} exited while starting`);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (response) => response.status === 200,
        () => false,
      );
      if (ready) return performance.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
}

async function output(file: string, args: string[]): Promise<string> {
  const child = spawn(file, args, { stdio: ["ignore", "pipe", "inherit"] });
  let text = "";
  child.stdout.on("data", (chunk: Buffer) => {
    text += chunk.toString();
  });
  await once(child, "exit");
  return text;
}
