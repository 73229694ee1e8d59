import type { Sql } from "postgres";
import type { Db } from "./client.ts";

/**
 * A transaction whose BEGIN travels with its first statement: postgres.js's sql.begin waits
 * for BEGIN's answer before running anything, a round trip per transaction. On a reserved
 * connection statements are pipelined in order, so BEGIN, the first statement and what
 * follows share the wire; a failure anywhere rolls the whole back.
 */
export async function pipelinedTransaction<T>(sql: Sql, work: (tx: Db) => Promise<T>): Promise<T> {
  const connection = await sql.reserve();
  try {
    const begun = connection`begin`.execute();
    // Its failure is the first statement's failure too; this only keeps it from going unheard.
    begun.catch(() => {});
    const result = await work(connection);
    await begun;
    await connection`commit`;
    return result;
  } catch (error) {
    await connection`rollback`.catch(() => {});
    throw error;
  } finally {
    connection.release();
  }
}
