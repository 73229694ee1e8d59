import { join } from "node:path";
import { DatabaseUnreachable, type OpenDatabase, openDatabase } from "#db/open";
import { resolveSecrets } from "#db/secrets";
import { createApp } from "./app.ts";
import { loadConfigOrExit } from "./config.ts";
import { ensureMiniAppBuilt } from "./http/mini-app-build.ts";
import { systemClock } from "./lib/clock.ts";
import { createLogger } from "./lib/logger.ts";
import { createSandbox, sandboxToken } from "./sandbox/start.ts";
import { BotTokenRefused } from "./telegram/reach.ts";

// Load config → open the database → start the app → stop cleanly on a signal. Nothing else.
// Without BOT_TOKEN (never in production) the app is the sandbox, with data of its own.
const loaded = loadConfigOrExit({ sandboxToken });
const config = loaded.sandbox ? { ...loaded, dataDir: join(loaded.dataDir, "sandbox") } : loaded;

const log = createLogger(config.logLevel);
const secrets = await resolveSecrets(config, (message) => log.warn(message));
let database: OpenDatabase;
try {
  database = await openDatabase({
    databaseUrl: config.databaseUrl,
    databaseCa: config.databaseCa,
    dataDir: config.dataDir,
    waitSeconds: config.databaseWaitSeconds,
    log: {
      info: (message) => log.info(message),
      debug: (message) => log.debug(message),
      warn: (message) => log.warn(message),
    },
  });
} catch (error) {
  // One line that says what to fix, not a stack trace.
  if (!(error instanceof DatabaseUnreachable)) throw error;
  log.fatal(error.message);
  process.exit(1);
}
await ensureMiniAppBuilt(log);
const deps = { config, sql: database.sql, clock: systemClock, log, secrets };
const sandbox = config.sandbox ? await createSandbox(deps) : undefined;
const app = sandbox ?? createApp(deps);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, "shutting down");
  await app.stop();
  await database.close();
  log.info("stopped");
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));

try {
  if (sandbox) {
    const { url } = await sandbox.start();
    process.stdout.write(
      `Sandbox: open ${url} (no BOT_TOKEN: Telegram is emulated in this process; nothing leaves this machine)\n`,
    );
  } else {
    await app.start();
  }
} catch (error) {
  if (error instanceof BotTokenRefused) log.fatal(error.message);
  else log.fatal({ err: (error as Error).message }, "could not start");
  await database.close();
  process.exit(1);
}
