/**
 * A service instance in the middle of a purge, for the test that kills one: it purges with
 * batches of 3, says "batch" on stdout after the first one has committed, and then waits
 * for ever while holding the purge lock.
 */
import { purgeExpired } from "#bot/retention/core/purge";
import { createSql } from "#db/client";
import { captureLogs } from "#test/helpers/logs";
import { TEST_RETENTION } from "#test/helpers/retention";

const url = process.env.DATABASE_URL;
const now = process.env.PURGE_NOW;
if (!url || !now) throw new Error("DATABASE_URL and PURGE_NOW are required");
const sql = createSql(url, { max: 2 });
setInterval(() => {}, 60_000);
await purgeExpired(
  {
    sql,
    clock: { now: () => new Date(now) },
    log: captureLogs().log,
    retention: TEST_RETENTION,
    pause: async () => {
      process.stdout.write("batch\n");
      await new Promise(() => {});
    },
  },
  { trigger: "schedule", actor: null },
);
