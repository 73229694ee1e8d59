import type { Sql } from "postgres";
import type { Vault } from "./vault.ts";

/**
 * Task titles and descriptions are sealed at rest like message text (db/vault.ts): they
 * often copy a member's words (`/task` in reply, the Mini App's "From a message"). Every
 * query module that reads or writes them goes through these functions.
 */

export type TaskTextField = "title" | "description";

/** A task text's sealed identity: the ciphertext opens only in its own row and column. */
export const taskTextIdentity = (taskId: number, field: TaskTextField) =>
  `tasks:${taskId}:${field}`;

export function sealTaskText(
  vault: Vault,
  taskId: number,
  field: TaskTextField,
  text: string,
): Buffer;
export function sealTaskText(
  vault: Vault,
  taskId: number,
  field: TaskTextField,
  text: string | null,
): Buffer | null;
export function sealTaskText(
  vault: Vault,
  taskId: number,
  field: TaskTextField,
  text: string | null,
): Buffer | null {
  return text === null ? null : vault.seal(text, taskTextIdentity(taskId, field));
}

export function openTaskText(
  vault: Vault,
  taskId: number,
  field: TaskTextField,
  sealed: Uint8Array,
): string {
  return vault.open(sealed, taskTextIdentity(taskId, field));
}

/** A row as stored: the texts sealed, the plain columns only on rows not yet sealed. */
export type SealedTextRow<T extends { id: number }> = Omit<T, "title" | "description"> & {
  title: Buffer;
  description: Buffer | null;
  legacyTitle?: string | null;
  legacyDescription?: string | null;
};

/**
 * Every reader of task texts comes through here: the title and description opened, the
 * columns that held plain text before they were sealed left out.
 */
export function openTaskTexts<
  S extends {
    id: number;
    title: Uint8Array;
    description: Uint8Array | null;
    legacyTitle?: string | null;
    legacyDescription?: string | null;
  },
>(vault: Vault, row: S): OpenedTexts<S> {
  const { title, description, legacyTitle: _, legacyDescription: __, ...rest } = row;
  return {
    ...rest,
    title: openTaskText(vault, row.id, "title", title),
    description:
      description === null ? null : openTaskText(vault, row.id, "description", description),
  };
}

export type OpenedTexts<S> = Omit<
  S,
  "title" | "description" | "legacyTitle" | "legacyDescription"
> & { title: string; description: string | null };

/**
 * Seals the titles and descriptions stored in plain before they were sealed at rest
 * (migration 0007), and empties the plain columns; returns how many tasks it sealed. The
 * service runs it at start, before it takes an update or a request. Batches are short
 * transactions; an instance starting at the same time waits for the rows another one is
 * sealing, so neither serves before every row is sealed.
 */
export async function sealLegacyTaskTexts(
  sql: Sql,
  vault: Vault,
  batchSize = 500,
): Promise<number> {
  let sealed = 0;
  for (;;) {
    const count = await sql.begin(async (tx) => {
      const rows = await tx<
        { id: number; legacyTitle: string; legacyDescription: string | null }[]
      >`
        select id, legacy_title, legacy_description from tasks
        where legacy_title is not null
        order by id limit ${batchSize}
        for update`;
      for (const row of rows) {
        await tx`
          update tasks
          set title = ${sealTaskText(vault, row.id, "title", row.legacyTitle)},
              description = ${sealTaskText(vault, row.id, "description", row.legacyDescription)},
              legacy_title = null, legacy_description = null
          where id = ${row.id}`;
      }
      return rows.length;
    });
    if (count === 0) return sealed;
    sealed += count;
  }
}
