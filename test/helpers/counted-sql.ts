import type { Sql } from "postgres";
import { afterAll, beforeAll } from "vitest";
import { createSql } from "#db/client";

/**
 * A pool of its own on the test database that counts the statements it sends (at
 * postgres.js's debug hook): how tests hold round trips to a bound. Opened before the
 * file's tests, closed after them.
 */
export function useCountedSql(url: () => string): { readonly sql: Sql; count(): number } {
  let statements = 0;
  let sql: Sql | undefined;
  beforeAll(() => {
    sql = createSql(url(), {
      max: 4,
      onStatement: () => {
        statements += 1;
      },
    });
  });
  afterAll(() => sql?.end());
  return {
    get sql() {
      if (!sql) throw new Error("The counted pool opens before the file's tests.");
      return sql;
    },
    count: () => statements,
  };
}
