import { join } from "node:path";
import { loadConfigOrExit } from "#bot/config";
import { systemClock } from "#bot/lib/clock";
import { createIdHasher, createLogger } from "#bot/lib/logger";
import { DemoRefused, seedDemo } from "#bot/sandbox/demo";
import { SANDBOX_GROUP, SANDBOX_PEOPLE } from "#bot/sandbox/people";
import { sandboxToken } from "#bot/sandbox/start";
import { openDatabase } from "#db/open";
import { resolveSecrets } from "#db/secrets";
import { createVault } from "#db/vault";

/**
 * `npm run demo`: fills the demo team with a week of tasks, reminders, repeating tasks and
 * consented group messages (bot/sandbox/demo.ts), on the service's database (DATABASE_URL,
 * or the embedded one: stop the service first, it belongs to one process) and keys; without
 * BOT_TOKEN, on the sandbox's (in the sandbox itself, its Demo data button does the same). Refuses
 * in production, and when the team already has tasks or messages.
 */
// Without BOT_TOKEN, the sandbox's database and keys (as `npm start` without a token uses).
const loaded = loadConfigOrExit({ sandboxToken });
const config = loaded.sandbox ? { ...loaded, dataDir: join(loaded.dataDir, "sandbox") } : loaded;
if (config.production) {
  process.stderr.write(
    "npm run demo writes made-up people, tasks and messages: it does not run with NODE_ENV=production.\n",
  );
  process.exit(1);
}

const log = createLogger(config.logLevel);
const secrets = await resolveSecrets(config, (message) => log.warn(message));
const database = await openDatabase({
  databaseUrl: config.databaseUrl,
  databaseCa: config.databaseCa,
  dataDir: config.dataDir,
  log: { info: () => {}, debug: () => {} },
});

try {
  const seeded = await seedDemo({
    sql: database.sql,
    vault: createVault(secrets.encryptionKeys, secrets.hashSecret),
    hashId: createIdHasher(secrets.hashSecret),
    retention: { rules: config.retention },
    now: systemClock.now(),
  });
  const stored = seeded.messages.filter((message) => message.stored).length;
  const names = SANDBOX_PEOPLE.map((person) => `${person.firstName} (${person.id})`).join(", ");
  process.stdout.write(
    `Demo data added to "${SANDBOX_GROUP.title}" (${SANDBOX_GROUP.id}): ${seeded.tasks.open} open and ${seeded.tasks.done} done tasks, ` +
      `${seeded.messages.length} group messages (${stored} stored: the others were written before their author consented), ` +
      `a daily digest at 09:00 UTC. People: ${names}.\n`,
  );
} catch (error) {
  if (!(error instanceof DemoRefused)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
} finally {
  await database.close();
}
