import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTaskTexts } from "#db/task-texts";
import { createVault } from "#db/vault";
import { createTestBot, useBotHarness } from "#test/helpers/bot";
import { createTestDatabase, type TestDatabase } from "#test/helpers/db";
import { TEST_SECRETS } from "#test/helpers/secrets";
import { alice } from "#test/helpers/updates";

/**
 * The backup that docs/operations.md prescribes, done for real: pg_dump of a database the
 * service wrote, pg_restore into a new one, and the service on the restored copy with the
 * same keys reads the sealed texts back; without the keys the copy is unreadable.
 */

const h = useBotHarness();
const run = promisify(execFile);
let folder: string;
let restored: TestDatabase;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "task-tracker-backup-"));
  restored = await createTestDatabase({ empty: true });
});
afterAll(async () => {
  await restored?.drop();
  await rm(folder, { recursive: true, force: true });
});

describe("a backup (pg_dump) restored into a new database (pg_restore)", () => {
  it("gives the service its tasks back, readable with the same keys only", async () => {
    await h.bot.send(h.updates.privateText(alice, "/newtask Renew the office lease"));
    const [stored] = await h.sql<{ title: Buffer }[]>`select title from tasks`;
    expect(stored?.title.toString("latin1")).not.toContain("office lease");

    const dump = join(folder, "tasks.dump");
    await run("pg_dump", ["--format=custom", "--no-owner", `--file=${dump}`, h.url]);
    await run("pg_restore", ["--no-owner", "--exit-on-error", `--dbname=${restored.url}`, dump]);

    const service = createTestBot({ sql: restored.sql, telegram: h.telegram });
    await service.send(h.updates.privateText(alice, "/tasks"));
    expect(h.telegram.textsTo(alice.id).at(-1)).toContain("Renew the office lease");

    const [row] = await restored.sql<{ id: number; title: Buffer; description: Buffer | null }[]>`
      select id, title, description from tasks`;
    if (!row) throw new Error("the restored database has no task");
    const otherKeys = createVault([Buffer.alloc(32, 1)], TEST_SECRETS.hashSecret);
    expect(() => openTaskTexts(otherKeys, row)).toThrow();
  });
});
