import { join } from "node:path";
import type { Sql } from "postgres";
import { createSql } from "./client.ts";
import { startEmbeddedPostgres } from "./embedded.ts";
import { migrate } from "./migrate.ts";

export interface OpenDatabase {
  sql: Sql;
  /** Closes the pool, then stops the embedded server if one was started. */
  close(): Promise<void>;
}

/**
 * The service's database, migrated: DATABASE_URL when given, else an embedded PostgreSQL
 * in `dataDir/pg`. `log.debug` gets the embedded server's own output (it can quote values
 * from failed statements), `log.info` the steps.
 */
export async function openDatabase(options: {
  databaseUrl: string | undefined;
  dataDir: string;
  log: { info(message: string): void; debug(message: string): void };
}): Promise<OpenDatabase> {
  const { log } = options;
  const pgDir = join(options.dataDir, "pg");
  const embedded = options.databaseUrl
    ? undefined
    : await startEmbeddedPostgres(pgDir, (message) => log.debug(message));
  if (embedded) log.info(`embedded PostgreSQL started in ${pgDir}`);
  const sql = createSql(options.databaseUrl ?? embedded?.url ?? "");
  try {
    await migrate(sql, { log: (message) => log.info(message) });
  } catch (error) {
    await sql.end({ timeout: 1 });
    await embedded?.stop();
    throw error;
  }
  return {
    sql,
    async close() {
      await sql.end({ timeout: 5 });
      await embedded?.stop();
    },
  };
}
