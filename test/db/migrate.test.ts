import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createSql } from "#db/client";
import { listMigrations, migrate, migrationsChecksum } from "#db/migrate";
import { createTestDatabase, type TestDatabase } from "#test/helpers/db";

const databases: TestDatabase[] = [];
const dirs: string[] = [];

async function emptyDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase({ empty: true });
  databases.push(db);
  return db;
}

function migrationsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "tt-migrations-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

// The migrations the project ships, in order.
const SHIPPED = [
  "0001_init.sql",
  "0002_privacy.sql",
  "0003_retention.sql",
  "0004_reminders.sql",
  "0005_digests.sql",
  "0006_recurring.sql",
  "0007_sealed_task_text.sql",
  "0009_people_changes.sql",
  "0010_bot_removed.sql",
  "0011_outbox.sql",
  "0012_due_moments.sql",
  "0013_list_changes.sql",
];
const SHIPPED_VERSIONS = SHIPPED.map((name) => Number(name.slice(0, 4)));

async function tables(db: TestDatabase): Promise<string[]> {
  const rows = await db.sql<{ name: string }[]>`
    select table_name as name from information_schema.tables
    where table_schema = 'public' order by table_name
  `;
  return rows.map((row) => row.name);
}

async function versions(db: TestDatabase): Promise<number[]> {
  const rows = await db.sql<{ version: number }[]>`
    select version from schema_migrations order by version
  `;
  return rows.map((row) => row.version);
}

afterAll(async () => {
  await Promise.all(databases.map((db) => db.drop()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("migrate", () => {
  it("applies the shipped migrations to an empty database and creates the tables", async () => {
    const db = await emptyDatabase();

    const result = await migrate(db.sql);

    expect(result.applied).toEqual(SHIPPED);
    expect(await tables(db)).toEqual([
      "audit_log",
      "confirmations",
      "consents",
      "conversations",
      "digests",
      "messages",
      "outbox",
      "processed_updates",
      "reminders",
      "schema_migrations",
      "settings",
      "tasks",
      "team_members",
      "teams",
      "users",
    ]);
    const rows = await db.sql`
      select version, name, applied_at > now() - interval '1 minute' as just_now
      from schema_migrations
    `;
    expect(rows).toEqual(
      SHIPPED.map((name, i) => ({ version: SHIPPED_VERSIONS[i], name, justNow: true })),
    );
  });

  it("applies nothing the second time", async () => {
    const db = await emptyDatabase();
    await migrate(db.sql);

    const again = await migrate(db.sql);

    expect(again.applied).toEqual([]);
    expect(await versions(db)).toEqual(SHIPPED_VERSIONS);
  });

  it("applies each migration once when two instances start together", async () => {
    const db = await emptyDatabase();
    const first = createSql(db.url, { max: 2 });
    const second = createSql(db.url, { max: 2 });
    try {
      const results = await Promise.all([migrate(first), migrate(second)]);

      expect(results.flatMap((result) => result.applied)).toEqual(SHIPPED);
      expect(await versions(db)).toEqual(SHIPPED_VERSIONS);
    } finally {
      await Promise.all([first.end(), second.end()]);
    }
  });

  it("refuses a database migrated by a newer version", async () => {
    const db = await emptyDatabase();
    await migrate(db.sql);
    await db.sql`insert into schema_migrations (version, name) values (9999, '9999_future.sql')`;

    await expect(migrate(db.sql)).rejects.toThrow(
      /database has migration 9999 \(9999_future\.sql\) with no file in .*refusing to start/,
    );
  });

  it("rolls a failing migration back whole and keeps the ones before it", async () => {
    const db = await emptyDatabase();
    const dir = migrationsDir({
      "0001_good.sql": "create table good (id int primary key);",
      "0002_broken.sql": "create table half_done (id int);\nselect * from no_such_table;",
      "0003_later.sql": "create table later (id int);",
    });

    await expect(migrate(db.sql, { dir })).rejects.toThrow(
      /migration 0002_broken\.sql failed: relation "no_such_table" does not exist/,
    );

    expect(await tables(db)).toEqual(["good", "schema_migrations"]);
    expect(await versions(db)).toEqual([1]);
  });

  it("reports each applied file through log", async () => {
    const db = await emptyDatabase();
    const dir = migrationsDir({
      "0002_second.sql": "create table second (id int);",
      "0001_first.sql": "create table first (id int);",
      "README.md": "not a migration",
    });
    const messages: string[] = [];

    const result = await migrate(db.sql, { dir, log: (msg) => messages.push(msg) });

    expect(result.applied).toEqual(["0001_first.sql", "0002_second.sql"]);
    expect(messages).toEqual([
      "applied migration 0001_first.sql",
      "applied migration 0002_second.sql",
    ]);
  });
});

describe("listMigrations", () => {
  it("orders files by number, not by name", () => {
    const dir = migrationsDir({ "10_ten.sql": "", "0002_two.sql": "", "1_one.sql": "" });

    expect(listMigrations(dir).map((file) => file.version)).toEqual([1, 2, 10]);
  });

  it("refuses a number used twice", () => {
    const dir = migrationsDir({ "0002_users.sql": "", "0002_tasks.sql": "" });

    expect(() => listMigrations(dir)).toThrow(
      /migration number 2 is used twice in .*: 0002_tasks\.sql and 0002_users\.sql/,
    );
  });

  it("refuses a .sql file that is not named NNNN_name.sql", () => {
    const dir = migrationsDir({ "0001_init.sql": "", "add-users.sql": "" });

    expect(() => listMigrations(dir)).toThrow(/add-users\.sql .* is not named NNNN_name\.sql/);
  });
});

describe("migrationsChecksum", () => {
  it("changes with a file's contents and is stable otherwise", () => {
    const a = migrationsDir({ "0001_init.sql": "create table a (id int);" });
    const b = migrationsDir({ "0001_init.sql": "create table a (id int);" });
    const c = migrationsDir({ "0001_init.sql": "create table a (id bigint);" });

    expect(migrationsChecksum(a)).toBe(migrationsChecksum(b));
    expect(migrationsChecksum(a)).not.toBe(migrationsChecksum(c));
    expect(migrationsChecksum()).toMatch(/^[0-9a-f]{64}$/);
  });
});
