import { loadConfigOrExit } from "#bot/config";
import { createLogger } from "#bot/lib/logger";
import { openDatabase } from "#db/open";
import { rotateKeys } from "#db/rotate";
import { resolveSecrets } from "#db/secrets";
import { createVault, describeKeyId } from "#db/vault";

/**
 * `npm run keys:rotate`: re-seals every stored value with the first key of ENCRYPTION_KEYS,
 * in short batches, so the service can keep running (on DATABASE_URL; the embedded database
 * belongs to one process, so stop the service first). Safe to interrupt and run again.
 */
const config = loadConfigOrExit();

const log = createLogger(config.logLevel);
const secrets = await resolveSecrets(config, (message) => log.warn(message));
const vault = createVault(secrets.encryptionKeys, secrets.hashSecret);
const database = await openDatabase({
  databaseUrl: config.databaseUrl,
  databaseCa: config.databaseCa,
  dataDir: config.dataDir,
  log: { info: () => {}, debug: () => {} },
});

const keys = secrets.encryptionKeys.length;
process.stdout.write(
  `Re-sealing stored values with key ${describeKeyId(vault.currentKeyId)} (the first of ${keys} key${keys === 1 ? "" : "s"}).\n`,
);
try {
  const done = await rotateKeys(database.sql, vault, {
    onProgress: ({ table, resealed, total }) =>
      process.stdout.write(`\r  ${table}: ${resealed} of ${total} rows re-sealed`),
  });
  process.stdout.write(
    `\nDone: ${done.users} users, ${done.messages} messages, ${done.conversations} form states, ${done.tasks} tasks re-sealed.\n` +
      "Every value is now sealed by the first key; older keys can be removed from ENCRYPTION_KEYS.\n",
  );
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`\nStopped: ${message}\nRun it again to continue where it stopped.\n`);
  process.exitCode = 1;
} finally {
  await database.close();
}
