/**
 * One service instance's outbox sender in a process of its own, for the tests that kill one
 * (crash.test.ts): the real sender on the test database (DATABASE_URL), talking to the fake
 * Bot API (TELEGRAM_API_ROOT), unpaced on a clock that never moves. It says "ready" on stdout
 * once it listens and has looked at the outbox, then sends until it is killed. Warnings and
 * errors go to stderr, which the test shows.
 */
import { Api } from "grammy";
import { createIdHasher, createLogger } from "#bot/lib/logger";
import { createOutboxSender } from "#bot/outbox/sender";
import { createSql } from "#db/client";
import { createVault } from "#db/vault";
import { FakeClock } from "#test/helpers/clock";
import { TEST_BOT_TOKEN } from "#test/helpers/fake-telegram";
import { UNPACED } from "#test/helpers/limits";
import { TEST_SECRETS } from "#test/helpers/secrets";

const url = process.env.DATABASE_URL;
const apiRoot = process.env.TELEGRAM_API_ROOT;
if (!url || !apiRoot) throw new Error("DATABASE_URL and TELEGRAM_API_ROOT are required");

const sender = createOutboxSender({
  sql: createSql(url, { max: 4 }),
  vault: createVault(TEST_SECRETS.encryptionKeys, TEST_SECRETS.hashSecret),
  clock: new FakeClock(),
  log: createLogger("warn", process.stderr),
  hashId: createIdHasher(TEST_SECRETS.hashSecret),
  api: new Api(TEST_BOT_TOKEN, { apiRoot }),
  limits: UNPACED,
});
await sender.start();
process.stdout.write("ready\n");
