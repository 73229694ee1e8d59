import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres, { type Sql } from "postgres";
import { createSql, whyUnreachable } from "#db/client";
import { startEmbeddedPostgres } from "#db/embedded";
import { migrate } from "#db/migrate";
import { onCleanUp } from "./cleanup.ts";

/** Where the benchmark's database comes from, and the fresh database it runs on. */

const LOCAL_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres";

export interface DatabaseServer {
  label: string;
  adminUrl: string;
  stop(): Promise<void>;
}

/**
 * `benchUrl` is BENCH_DATABASE_URL (`embedded` forces the embedded server, as
 * TEST_DATABASE_URL does for the tests), else the local server when it answers, else an
 * embedded one.
 */
export async function findDatabaseServer(benchUrl: string | undefined): Promise<DatabaseServer> {
  if (benchUrl === "embedded") return startEmbedded("BENCH_DATABASE_URL=embedded");
  if (benchUrl) {
    const problem = await whyUnreachable(benchUrl);
    if (problem) throw new Error(`BENCH_DATABASE_URL does not answer: ${problem}`);
    return { label: "BENCH_DATABASE_URL", adminUrl: benchUrl, stop: async () => {} };
  }
  if ((await whyUnreachable(LOCAL_DATABASE_URL)) === undefined) {
    return {
      label: "local PostgreSQL on 127.0.0.1:5432",
      adminUrl: LOCAL_DATABASE_URL,
      stop: async () => {},
    };
  }
  return startEmbedded("nothing answered on 5432");
}

/** A new temporary folder for an embedded server's data directory. */
export async function postgresTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  // Run as root, postgres runs as its own user, who must be able to enter the folder.
  await chmod(dir, 0o755);
  return dir;
}

async function startEmbedded(why: string): Promise<DatabaseServer> {
  const dir = await postgresTempDir("tt-bench-pg-");
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

export interface BenchDatabase {
  name: string;
  url: string;
  sql: Sql;
}

/** A migrated database of its own, dropped at clean-up. */
export async function createBenchDatabase(adminUrl: string): Promise<BenchDatabase> {
  const name = `tt_bench_${Math.floor(Date.now() / 1000)}`;
  await withAdmin(adminUrl, (admin) => admin`create database ${admin(name)}`);
  const url = urlOfDatabase(adminUrl, name);
  const sql = createSql(url, { max: 4 });
  onCleanUp(`drop ${name}`, async () => {
    await sql.end({ timeout: 1 });
    await withAdmin(
      adminUrl,
      (admin) => admin`drop database if exists ${admin(name)} with (force)`,
    );
  });
  await migrate(sql);
  return { name, url, sql };
}

/** Runs `fn` on a single short-lived connection to the server's maintenance database. */
async function withAdmin(adminUrl: string, fn: (admin: Sql) => Promise<unknown>): Promise<void> {
  const admin = postgres(adminUrl, { max: 1, fetch_types: false, onnotice: () => {} });
  try {
    await fn(admin);
  } finally {
    await admin.end();
  }
}

function urlOfDatabase(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * What every benchmark starts with: a database server (see findDatabaseServer), stopped at
 * clean-up, and a fresh migrated database on it, both named on stdout.
 */
export async function openBenchDatabase(benchUrl: string | undefined): Promise<BenchDatabase> {
  const server = await findDatabaseServer(benchUrl);
  onCleanUp("database server", () => server.stop());
  const database = await createBenchDatabase(server.adminUrl);
  process.stdout.write(`  database: ${server.label}, fresh database ${database.name}\n`);
  return database;
}
