import postgres, { type Sql, type TransactionSql } from "postgres";
import { connectionTls } from "./tls.ts";

/** A query handle: the pool, or a transaction/savepoint opened on it. The caller decides. */
export type Db = Sql | TransactionSql;

export interface SqlOptions {
  /** Pool size; the update pipeline holds one connection per chat in flight. */
  max?: number;
  /** Called for every statement sent: how tests and benchmarks count round trips. */
  onStatement?: (query: string) => void;
  /** PEM of the CA that signs the server's certificate (DATABASE_CA_FILE), for sslmode=verify-*. */
  ca?: string | undefined;
}

/**
 * Opens a postgres.js pool. int8 columns come back as JS numbers: Telegram ids need 64-bit
 * columns but stay below 2^53, and every serial id we issue does too.
 */
export function createSql(url: string, options: SqlOptions = {}): Sql {
  const tls = connectionTls(url, options.ca);
  return postgres(tls.url, {
    ssl: tls.ssl,
    max: options.max ?? 20,
    onnotice: () => {},
    // snake_case columns arrive as camelCase fields and sql(object) helpers map back.
    // Column names only: postgres.camel would also rewrite keys inside jsonb values,
    // which corrupts stored Telegram updates (callback_query → callbackQuery).
    transform: { column: { from: postgres.toCamel, to: postgres.fromCamel } },
    connection: { application_name: "task-tracker" },
    ...(options.onStatement ? { debug: debugHook(options.onStatement) } : {}),
    types: {
      bigint: {
        to: 20,
        from: [20],
        serialize: (value: number) => String(value),
        parse: (value: string) => Number(value),
      },
    },
  });
}

function debugHook(onStatement: (query: string) => void) {
  return (_connection: number, query: string) => onStatement(query);
}

/**
 * Sends `select 1` over one short-lived connection (TLS as `url` asks, `ca` to verify):
 * undefined when the server answered, else what went wrong, as thrown.
 */
export async function tryOneConnection(
  url: string,
  ca: string | undefined,
  connectTimeoutSeconds: number,
): Promise<unknown> {
  const tls = connectionTls(url, ca);
  const sql = postgres(tls.url, {
    ssl: tls.ssl,
    max: 1,
    connect_timeout: connectTimeoutSeconds,
    fetch_types: false,
    onnotice: () => {},
  });
  try {
    await sql`select 1`;
    return undefined;
  } catch (error) {
    return error ?? new Error("the connection failed");
  } finally {
    await sql.end({ timeout: 0 });
  }
}

/** Why no PostgreSQL answers at `url` within 2 s, or undefined when one does. */
export async function whyUnreachable(url: string): Promise<string | undefined> {
  const error = await tryOneConnection(url, undefined, 2);
  if (error === undefined) return undefined;
  return error instanceof Error ? error.message : String(error);
}
