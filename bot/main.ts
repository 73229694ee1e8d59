import { existsSync } from "node:fs";
import { join } from "node:path";
import { createSql } from "#db/client";
import { startEmbeddedPostgres } from "#db/embedded";
import { migrate } from "#db/migrate";
import { createApp } from "./app.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { systemClock } from "./lib/clock.ts";
import { createLogger } from "./lib/logger.ts";
import { resolveSecrets } from "./privacy/secrets.ts";

// Load config → open the database → start the app → stop cleanly on a signal. Nothing else.
if (existsSync(".env")) process.loadEnvFile(".env");

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

const log = createLogger(config.logLevel);
const secrets = await resolveSecrets(config, (message) => log.warn(message));
// The server's own output can quote values from failed statements: debug level only.
const embedded = config.databaseUrl
  ? undefined
  : await startEmbeddedPostgres(join(config.dataDir, "pg"), (message) => log.debug(message));
if (embedded) log.info({ dataDir: join(config.dataDir, "pg") }, "embedded PostgreSQL started");
const sql = createSql(config.databaseUrl ?? embedded?.url ?? "");
await migrate(sql, { log: (message) => log.info(message) });
const app = createApp({ config, sql, clock: systemClock, log, secrets });

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, "shutting down");
  await app.stop();
  await sql.end({ timeout: 5 });
  await embedded?.stop();
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));

try {
  await app.start();
} catch (error) {
  log.fatal({ err: (error as Error).message }, "could not start");
  await sql.end({ timeout: 1 });
  await embedded?.stop();
  process.exit(1);
}
