/**
 * Starts embedded Postgres on the data directory given as the first argument, prints
 * `{ "pid": <postmaster pid>, "url": … }` on one line and waits to be killed. The embedded
 * test kills it with SIGKILL to leave an orphaned server behind.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startEmbeddedPostgres } from "#db/embedded";

const dataDir = process.argv[2];
if (!dataDir) throw new Error("usage: embedded-orphan.ts <data dir>");

const { url } = await startEmbeddedPostgres(dataDir);
const pid = Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n", 1)[0]);
process.stdout.write(`${JSON.stringify({ pid, url })}\n`);
// The running postgres child keeps this process alive until it is killed.
