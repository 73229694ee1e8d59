import { randomBytes } from "node:crypto";
import postgres, { type Sql } from "postgres";
import { afterAll, beforeAll, inject } from "vitest";
import { createSql } from "#db/client";
import { realNow } from "./wall-clock.ts";

/**
 * A database per test file, cloned from the migrated template that global-setup.ts prepares.
 * Names carry their creation time (`tt_test_<unix seconds>_<random>`) so that global setup can
 * drop the ones a crashed run left behind.
 */

export interface TestDatabase {
  url: string;
  /** A pool of 10 on the database. */
  sql: Sql;
  /** Closes the pool and drops the database, even while something else is still connected. */
  drop(): Promise<void>;
}

export interface TestDatabaseOptions {
  /** An empty database (from template1) instead of a migrated one: for testing migrations. */
  empty?: boolean;
}

export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const adminUrl = inject("testDatabaseAdminUrl");
  const template = options.empty ? "template1" : inject("testDatabaseTemplate");
  // Real time: global setup, outside the shifted wall clock, drops names older than an hour.
  const name = testDatabaseName(realNow());
  await withAdmin(
    adminUrl,
    (admin) => admin`create database ${admin(name)} template ${admin(template)}`,
  );

  const url = databaseUrl(adminUrl, name);
  const sql = createSql(url, { max: 10 });
  let dropping: Promise<void> | undefined;
  const drop = () => {
    dropping ??= (async () => {
      await sql.end();
      await withAdmin(
        adminUrl,
        (admin) => admin`drop database if exists ${admin(name)} with (force)`,
      );
    })();
    return dropping;
  };
  return { url, sql, drop };
}

/**
 * Gives the calling test file its own migrated database: created before its first test, dropped
 * after its last. Read `sql` and `url` inside tests or hooks, not at module level.
 */
export function useTestDatabase(): { readonly sql: Sql; readonly url: string } {
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });
  const current = (): TestDatabase => {
    if (!db) throw new Error("useTestDatabase(): the database exists only once beforeAll has run");
    return db;
  };
  return {
    get sql() {
      return current().sql;
    },
    get url() {
      return current().url;
    },
  };
}

const NAME_PATTERN = /^tt_test_(\d+)_[0-9a-f]+$/;

export function testDatabaseName(now: Date): string {
  return `tt_test_${Math.floor(now.getTime() / 1000)}_${randomBytes(4).toString("hex")}`;
}

/** A test database created more than `maxAgeMs` before `now`; other names never are. */
export function isStaleTestDatabase(name: string, now: Date, maxAgeMs: number): boolean {
  const seconds = NAME_PATTERN.exec(name)?.[1];
  return seconds !== undefined && now.getTime() - Number(seconds) * 1000 > maxAgeMs;
}

/** The same server and credentials as `url`, on another database. */
export function databaseUrl(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * Runs `fn` on a single short-lived connection. Keeps postgres.js's fetch_types on: with it off,
 * reserve() on a cold pool never settles (porsager/postgres#751, #1219).
 */
export async function withAdmin<T>(adminUrl: string, fn: (admin: Sql) => Promise<T>): Promise<T> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

const tablesOf = new WeakMap<Sql, Promise<string[]>>();

/**
 * Empties every table of the public schema but the migration ledger, so a table added by a
 * migration is never left holding one test's rows for the next. The list is read once per
 * database. Sequences keep counting (no `restart identity`), so ids differ across tests.
 */
export async function emptyTables(sql: Sql): Promise<void> {
  let tables = tablesOf.get(sql);
  if (!tables) {
    tables = sql<{ tablename: string }[]>`
      select tablename from pg_tables
      where schemaname = 'public' and tablename <> 'schema_migrations'
      order by tablename`.then((rows) => rows.map((row) => row.tablename));
    tablesOf.set(sql, tables);
  }
  const names = await tables;
  if (names.length > 0) await sql`truncate ${sql(names)}`;
}
