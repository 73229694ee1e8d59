import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ReservedSql, Sql } from "postgres";

/**
 * Key of the session-level advisory lock that serialises migration runs. Fixed forever: two
 * deployments (old and new) must agree on it.
 */
const MIGRATION_LOCK_KEY = 7_461_329_810_021;

const DEFAULT_DIR = fileURLToPath(new URL("./migrations/", import.meta.url));
const FILE_PATTERN = /^(\d+)_([a-z0-9_]+)\.sql$/;

export interface MigrationFile {
  version: number;
  /** The file name, e.g. `0001_init.sql`; also what schema_migrations.name keeps. */
  name: string;
  path: string;
}

export interface MigrateOptions {
  dir?: string;
  log?: (msg: string) => void;
}

export class MigrationError extends Error {
  override name = "MigrationError";
}

/**
 * Brings the database up to the newest migration file. Forward-only: each missing file runs in
 * its own transaction, in version order, under an advisory lock held on one reserved connection,
 * so instances starting together run them once (the others wait, then find nothing to do).
 */
export async function migrate(
  sql: Sql,
  options: MigrateOptions = {},
): Promise<{ applied: string[] }> {
  const dir = options.dir ?? DEFAULT_DIR;
  const log = options.log ?? (() => {});
  const files = listMigrations(dir);

  // reserve() on a pool with no open connection never settles when fetch_types is off
  // (porsager/postgres#751); a first query opens one for it to take.
  await sql`select 1`;
  const conn = await sql.reserve();
  try {
    await conn`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    const applied = await applyMissing(conn, files, dir, log);
    await conn`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
    return { applied };
  } catch (error) {
    // Keep the first error; a broken connection has lost the lock anyway.
    await conn`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.catch(() => {});
    throw error;
  } finally {
    conn.release();
  }
}

async function applyMissing(
  conn: ReservedSql,
  files: MigrationFile[],
  dir: string,
  log: (msg: string) => void,
): Promise<string[]> {
  await conn`
    create table if not exists schema_migrations (
      version int primary key,
      name text not null,
      applied_at timestamptz not null default now()
    )
  `;
  const done = await conn<{ version: number; name: string }[]>`
    select version, name from schema_migrations order by version
  `;

  const known = new Set(files.map((file) => file.version));
  const unknown = done.filter((row) => !known.has(row.version));
  if (unknown.length > 0) {
    const list = unknown.map((row) => `${row.version} (${row.name})`).join(", ");
    throw new MigrationError(
      `database has migration ${list} with no file in ${dir}: a newer version of the service migrated it; refusing to start an older one`,
    );
  }

  const applied: string[] = [];
  const doneVersions = new Set(done.map((row) => row.version));
  for (const file of files) {
    if (doneVersions.has(file.version)) continue;
    await applyOne(conn, file);
    log(`applied migration ${file.name}`);
    applied.push(file.name);
  }
  return applied;
}

async function applyOne(conn: ReservedSql, file: MigrationFile): Promise<void> {
  const text = readFileSync(file.path, "utf8");
  // A reserved connection has no sql.begin, so the transaction is spelled out.
  await conn`begin`;
  try {
    // Trusted, constant text from the repository; may hold several statements.
    await conn.unsafe(text);
    await conn`insert into schema_migrations (version, name) values (${file.version}, ${file.name})`;
    await conn`commit`;
  } catch (error) {
    await conn`rollback`;
    const reason = error instanceof Error ? error.message : String(error);
    throw new MigrationError(`migration ${file.name} failed: ${reason}`, { cause: error });
  }
}

/** The migration files in `dir`, in version order; rejects misnamed files and repeated numbers. */
export function listMigrations(dir: string = DEFAULT_DIR): MigrationFile[] {
  const files: MigrationFile[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.endsWith(".sql")) continue;
    const match = FILE_PATTERN.exec(name);
    if (!match?.[1]) {
      throw new MigrationError(`migration file ${name} in ${dir} is not named NNNN_name.sql`);
    }
    files.push({ version: Number(match[1]), name, path: join(dir, name) });
  }
  files.sort((a, b) => a.version - b.version || a.name.localeCompare(b.name));

  for (let i = 1; i < files.length; i++) {
    const previous = files[i - 1];
    const current = files[i];
    if (previous && current && previous.version === current.version) {
      throw new MigrationError(
        `migration number ${current.version} is used twice in ${dir}: ${previous.name} and ${current.name}`,
      );
    }
  }
  return files;
}

/** sha256 over the migration files' names and contents: changes whenever the schema would. */
export function migrationsChecksum(dir: string = DEFAULT_DIR): string {
  const hash = createHash("sha256");
  for (const file of listMigrations(dir)) {
    hash.update(`${file.name}\0`);
    hash.update(readFileSync(file.path));
    hash.update("\0");
  }
  return hash.digest("hex");
}
