import type { PendingQuery, Row, Sql } from "postgres";
import { openTaskTexts, sealTaskText, type TaskTextField } from "#db/task-texts";
import { createVault } from "#db/vault";
import { TEST_SECRETS } from "./secrets.ts";

/** Reads what the test bots seal: they all use TEST_SECRETS unless a test says otherwise. */
const vault = createVault(TEST_SECRETS.encryptionKeys, TEST_SECRETS.hashSecret);

export type StoredTask = Record<string, unknown> & {
  id: number;
  title: string;
  description: string | null;
};

/**
 * The stored task rows in id order, every column camelCased as the service reads them,
 * with the sealed title and description opened: for tests that assert what is stored.
 */
export async function storedTasks(
  sql: Sql,
  where?: (sql: Sql) => PendingQuery<Row[]>,
): Promise<StoredTask[]> {
  const rows = await sql<
    (Record<string, unknown> & { id: number; title: Buffer; description: Buffer | null })[]
  >`select * from tasks where ${where ? where(sql) : sql`true`} order by id`;
  return rows.map((row): StoredTask => ({ ...openTaskTexts(vault, row), id: row.id }));
}

/** A text sealed for a task row, for tests that write rows directly. */
export function sealedTaskText(taskId: number, field: TaskTextField, text: string): Buffer {
  return sealTaskText(vault, taskId, field, text);
}

/** The next task id, for a test that inserts a row itself (its texts are bound to the id). */
export async function nextTaskId(sql: Sql): Promise<number> {
  const [row] = await sql<{ id: number }[]>`
    select nextval(pg_get_serial_sequence('tasks', 'id')) as id`;
  if (!row) throw new Error("no task id");
  return row.id;
}

/**
 * Some fields of the stored tasks (camelCase, texts opened), in id order: the shape a test
 * used to select straight from the table before the texts were sealed.
 */
export async function storedTaskFields<T = Record<string, unknown>>(
  sql: Sql,
  fields: readonly string[],
  where?: (sql: Sql) => PendingQuery<Row[]>,
): Promise<T[]> {
  const rows = await storedTasks(sql, where);
  return rows.map((row) => Object.fromEntries(fields.map((field) => [field, row[field]])) as T);
}
