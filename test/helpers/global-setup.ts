import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { createSql, whyUnreachable } from "#db/client";
import { DataDirectoryInUseError, type EmbeddedServer, startEmbeddedPostgres } from "#db/embedded";
import { migrate, migrationsChecksum } from "#db/migrate";
import { databaseUrl, isStaleTestDatabase, withAdmin } from "#test/helpers/db";
import { buildMiniApp } from "#test/helpers/miniapp-build";
import { changedBetween, trackedChanges } from "#test/helpers/tracked-files";
import { realNow } from "#test/helpers/wall-clock";

/**
 * Once per `vitest run`: build the Mini App into a temporary folder, find a PostgreSQL server
 * (TEST_DATABASE_URL, the local one, or an embedded one started here), make sure a migrated
 * template database exists for the current migrations, and hand them to the test files
 * through `inject`. At the end, fail the run if it changed a tracked file.
 */

declare module "vitest" {
  interface ProvidedContext {
    /** A superuser URL on the maintenance database, for creating and dropping databases. */
    testDatabaseAdminUrl: string;
    /** The migrated template that each test database is cloned from. */
    testDatabaseTemplate: string;
    /** This run's production build of the Mini App, which the test services serve. */
    miniAppDist: string;
  }
}

const DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/postgres";
/** Serialises template creation between vitest runs that start together. */
const TEMPLATE_LOCK_KEY = 7_461_329_810_022;
const STALE_AFTER_MS = 60 * 60 * 1000;
const EMBEDDED_DIR = join(tmpdir(), "task-tracker-test-pg");
const REPO = fileURLToPath(new URL("../..", import.meta.url));

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const trackedBefore = trackedChanges(REPO);
  // Built from the current sources once, before any test serves it; never into miniapp/dist,
  // which `npm start` serves.
  const miniAppDist = await mkdtemp(join(tmpdir(), "task-tracker-miniapp-"));
  const removeMiniApp = () => rm(miniAppDist, { recursive: true, force: true });
  let server: TestServer | undefined;
  try {
    await buildMiniApp(miniAppDist);
    server = await findServer();
    const template = `tt_tpl_${migrationsChecksum().slice(0, 12)}`;
    await prepareTemplate(server.adminUrl, template);
    await dropStaleTestDatabases(server.adminUrl);
    project.provide("testDatabaseAdminUrl", server.adminUrl);
    project.provide("testDatabaseTemplate", template);
    project.provide("miniAppDist", miniAppDist);
  } catch (error) {
    await server?.stop();
    await removeMiniApp();
    throw error;
  }
  const started = server;
  return async () => {
    await started.stop();
    await removeMiniApp();
    failIfTrackedFilesChanged(trackedBefore);
  };
}

/**
 * Tests write only to temporary folders: a run that changed a tracked file (as the e2e test
 * once rewrote docs/screenshots) fails, except in SCREENSHOTS_DIR when that is set. Compared with the state before the run, so a
 * developer's own uncommitted edits are not counted.
 */
function failIfTrackedFilesChanged(before: ReturnType<typeof trackedChanges>): void {
  const after = trackedChanges(REPO);
  if (!before || !after) return;
  // `npm run screenshots` is the one run meant to write into the repository.
  const screenshots = process.env.SCREENSHOTS_DIR;
  const allowed = screenshots ? `${relative(REPO, resolve(REPO, screenshots))}/` : undefined;
  const changed = changedBetween(before, after).filter(
    (path) => !(allowed && path.startsWith(allowed)),
  );
  if (changed.length === 0) return;
  // Vitest only logs an error thrown here ("error during close") and still exits with 0.
  process.exitCode = 1;
  throw new Error(
    `the test run changed tracked files (tests must write only to temporary folders; ` +
      `if you edited these yourself during the run, run again):\n  ${changed.join("\n  ")}`,
  );
}

interface TestServer {
  adminUrl: string;
  stop(): Promise<void>;
}

/**
 * TEST_DATABASE_URL when set (`embedded` forces the embedded server); otherwise the local
 * server, or an embedded one when nothing answers there.
 */
async function findServer(): Promise<TestServer> {
  const configured = process.env.TEST_DATABASE_URL;
  if (configured === "embedded") return startEmbedded();

  const adminUrl = configured || DEFAULT_URL;
  const problem = await whyUnreachable(adminUrl);
  if (problem === undefined) return { adminUrl, stop: async () => {} };
  if (configured) {
    throw new Error(`TEST_DATABASE_URL does not answer: ${problem}`);
  }
  process.stderr.write(`[test db] no PostgreSQL at ${DEFAULT_URL} (${problem}); starting one\n`);
  return startEmbedded();
}

/**
 * The shared data directory is reused across runs, so only the first run pays for initdb.
 * A second run started while the first one still uses it gets a private directory instead.
 */
async function startEmbedded(): Promise<TestServer> {
  try {
    return await startEmbeddedPostgres(EMBEDDED_DIR);
  } catch (error) {
    if (!(error instanceof DataDirectoryInUseError)) throw error;
  }
  const root = await mkdtemp(join(tmpdir(), "task-tracker-test-pg-"));
  // mkdtemp makes it 0700; postgres runs as its own user and must reach the data dir inside.
  await chmod(root, 0o755);
  let server: EmbeddedServer;
  try {
    server = await startEmbeddedPostgres(join(root, "data"));
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  return {
    adminUrl: server.adminUrl,
    stop: async () => {
      await server.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/**
 * Creates and migrates the template unless a finished one exists. Finished means marked as a
 * template, which happens last: a half-built one from a killed run is dropped and rebuilt.
 * Afterwards nobody may connect to it, since a connected template cannot be cloned.
 */
async function prepareTemplate(adminUrl: string, template: string): Promise<void> {
  await withAdmin(adminUrl, async (admin) => {
    const conn = await admin.reserve();
    try {
      await conn`select pg_advisory_lock(${TEMPLATE_LOCK_KEY})`;
      const [found] = await conn<{ ready: boolean }[]>`
        select datistemplate as ready from pg_database where datname = ${template}
      `;
      if (found?.ready) return;
      if (found) await conn`drop database ${conn(template)} with (force)`;

      await conn`create database ${conn(template)}`;
      const sql = createSql(databaseUrl(adminUrl, template), { max: 1 });
      try {
        await migrate(sql);
      } finally {
        await sql.end();
      }
      await conn`alter database ${conn(template)} with is_template true allow_connections false`;
    } finally {
      await conn`select pg_advisory_unlock(${TEMPLATE_LOCK_KEY})`.catch(() => {});
      conn.release();
    }
  });
}

/**
 * Test databases of crashed runs. One with connections is in use and stays: skipped up front,
 * because DROP DATABASE waits 5 s for other sessions before it gives up.
 */
async function dropStaleTestDatabases(adminUrl: string): Promise<void> {
  await withAdmin(adminUrl, async (admin) => {
    const rows = await admin<{ name: string }[]>`
      select datname as name from pg_database d
      where datname like 'tt_test_%'
        and not exists (select from pg_stat_activity a where a.datid = d.oid)
    `;
    // Not `new Date()`: importing #test/helpers/db loads wall-clock.ts, which moves this
    // process's Date a year ahead too, and then every run's databases looked stale and
    // parallel runs dropped each other's (tests failed with "database … does not exist").
    const now = realNow();
    for (const { name } of rows) {
      if (!isStaleTestDatabase(name, now, STALE_AFTER_MS)) continue;
      // `if exists`: another run's setup may have dropped it since the select.
      await admin`drop database if exists ${admin(name)}`.catch((error: unknown) => {
        // 55006 object_in_use: a run is still using it.
        if (!(error instanceof postgres.PostgresError && error.code === "55006")) throw error;
      });
    }
  });
}
