/**
 * The server under measurement, in a process of its own: `plain` is a bare node:http
 * server answering each team's list with the service's own bytes from memory (the ceiling;
 * BENCH_ANSWERS names a JSON file of `{ teamId: { body, etag } }`), 304 when If-None-Match
 * names the ETag; `service` the real HTTP app (createApp, no bot polling), listening for
 * changes as start() does, so it keeps the lists it answered (BENCH_KEEP_LISTS=0: it does
 * not listen, and every list is read from the database). Prints
 * "ready <port>" once listening; ends on SIGTERM.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { serve } from "@hono/node-server";
import { createApp } from "#bot/app";
import { loadConfig } from "#bot/config";
import { systemClock } from "#bot/lib/clock";
import { createLogger } from "#bot/lib/logger";
import { createSql } from "#db/client";
import { TEST_BOT_INFO } from "#test/helpers/fake-telegram";

const mode = process.argv[2];
const ready = (port: number) => process.stdout.write(`ready ${port}\n`);

if (mode === "plain") {
  const answers = JSON.parse(readFileSync(String(process.env.BENCH_ANSWERS), "utf8")) as Record<
    string,
    { body: string; etag: string }
  >;
  const server = createServer((request, response) => {
    const teamId = /teamId=(-?\d+)/.exec(request.url ?? "")?.[1] ?? "";
    const answer = answers[teamId];
    if (!answer) {
      response.writeHead(404).end();
      return;
    }
    if (request.headers["if-none-match"] === answer.etag) {
      response.writeHead(304, { etag: answer.etag }).end();
      return;
    }
    response.writeHead(200, { "content-type": "application/json", etag: answer.etag });
    response.end(answer.body);
  });
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    ready(typeof address === "object" && address ? address.port : 0);
  });
  process.once("SIGTERM", () => server.close(() => process.exit(0)));
} else if (mode === "service") {
  const config = loadConfig(process.env);
  if (!config.databaseUrl || !config.encryptionKeys || !config.hashSecret) {
    throw new Error("DATABASE_URL, ENCRYPTION_KEYS and HASH_SECRET are required");
  }
  const sql = createSql(config.databaseUrl, { max: 20 });
  const app = createApp({
    config,
    sql,
    clock: systemClock,
    log: createLogger("warn"),
    secrets: { encryptionKeys: config.encryptionKeys, hashSecret: config.hashSecret },
    botInfo: TEST_BOT_INFO,
  });
  await app.people.listen();
  if (process.env.BENCH_KEEP_LISTS !== "0") await app.taskLists.listen();
  const server = serve({ fetch: app.http.fetch, hostname: "127.0.0.1", port: 0 }, (info) =>
    ready(info.port),
  );
  process.once("SIGTERM", () => server.close(() => void sql.end().then(() => process.exit(0))));
} else {
  throw new Error("usage: server.ts plain|service");
}
