import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { listMigrations, migrate } from "#db/migrate";
import { sealLegacyTaskTexts } from "#db/task-texts";
import { createVault } from "#db/vault";
import { createTestDatabase, type TestDatabase } from "#test/helpers/db";
import { TEST_SECRETS } from "#test/helpers/secrets";
import { storedTasks } from "#test/helpers/tasks";

let db: TestDatabase | undefined;
let dir: string | undefined;

afterAll(async () => {
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("migration 0007: task texts sealed", () => {
  it("moves plain titles aside until the start seals them, and remembers the authors it can", async () => {
    db = await createTestDatabase({ empty: true });
    const { sql } = db;
    // A database as the previous version left it: migrations up to 0006.
    dir = mkdtempSync(join(tmpdir(), "tt-before-0007-"));
    for (const file of listMigrations().filter((f) => f.version <= 6)) {
      copyFileSync(file.path, join(dir, file.name));
    }
    await migrate(sql, { dir });
    await sql`insert into users (id) values (1), (2)`;
    await sql`insert into teams (id) values (-100)`;
    await sql`
      insert into messages (chat_id, message_id, team_id, author_id, text, date)
      values (-100, 7, -100, 2, '\\x00', now())`;
    await sql`
      insert into tasks (team_id, title, description, creator_id, source_chat_id,
                         source_message_id)
      values (-100, 'From a stored message', 'Its words', 1, -100, 7),
             (-100, 'From an unstored message', null, 1, -100, 8),
             (null, 'Private', null, 1, null, null)`;

    await migrate(sql);

    const plain = await sql`
      select legacy_title, legacy_description, title, source_author_id from tasks order by id`;
    expect(plain).toEqual([
      {
        legacyTitle: "From a stored message",
        legacyDescription: "Its words",
        title: null,
        sourceAuthorId: 2,
      },
      {
        legacyTitle: "From an unstored message",
        legacyDescription: null,
        title: null,
        sourceAuthorId: null,
      },
      { legacyTitle: "Private", legacyDescription: null, title: null, sourceAuthorId: null },
    ]);

    await sealLegacyTaskTexts(
      sql,
      createVault(TEST_SECRETS.encryptionKeys, TEST_SECRETS.hashSecret),
    );

    expect(
      await sql`select count(*)::int as n from tasks
                where legacy_title is not null or legacy_description is not null`,
    ).toEqual([{ n: 0 }]);
    expect((await storedTasks(sql)).map((t) => [t.title, t.description])).toEqual([
      ["From a stored message", "Its words"],
      ["From an unstored message", null],
      ["Private", null],
    ]);
    // New tasks take ids after the old ones, drawn before the insert.
    const [next] = await sql<{ id: number }[]>`
      select nextval(pg_get_serial_sequence('tasks', 'id')) as id`;
    expect(next?.id).toBe(4);
  });
});
