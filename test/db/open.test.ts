import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { DatabaseUnreachable, waitForDatabase } from "#db/open";
import { FakeClock } from "#test/helpers/clock";
import { useTestDatabase } from "#test/helpers/db";
import { closedPort } from "#test/helpers/ports";

const db = useTestDatabase();
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("waiting for DATABASE_URL's server at start", () => {
  it("retries with backoff for the documented time, naming the host and reason, then gives up", async () => {
    const port = await closedPort();
    const clock = new FakeClock();
    const lines: string[] = [];
    const waits: number[] = [];
    const waiting = waitForDatabase(`postgres://app:s3cret@127.0.0.1:${port}/tasks`, {
      waitSeconds: 20,
      log: (line) => lines.push(line),
      now: () => clock.now().getTime(),
      wait: async (ms) => {
        waits.push(ms);
        clock.advance(ms);
      },
    });
    await expect(waiting).rejects.toThrow(
      new DatabaseUnreachable(
        `cannot reach PostgreSQL at 127.0.0.1:${port} (DATABASE_URL): ECONNREFUSED; gave up after 20 s (DATABASE_WAIT_SECONDS)`,
      ),
    );
    expect(waits).toEqual([1000, 2000, 5000, 10_000, 2000]);
    expect(lines[0]).toBe(
      `cannot reach PostgreSQL at 127.0.0.1:${port} (DATABASE_URL): ECONNREFUSED; retrying in 1 s, for up to 20 s`,
    );
    expect(lines.join("\n")).not.toContain("s3cret");
  });

  it("returns as soon as the server answers", async () => {
    const lines: string[] = [];
    await waitForDatabase(db.url, { waitSeconds: 60, log: (line) => lines.push(line) });
    expect(lines).toEqual([]);
  });

  it("gives up at once on an answer that waiting will not change", async () => {
    const url = new URL(db.url);
    url.pathname = "/no_such_database_here";
    const waits: number[] = [];
    await expect(
      waitForDatabase(url.toString(), {
        waitSeconds: 60,
        log: () => {},
        wait: async (ms) => {
          waits.push(ms);
        },
      }),
    ).rejects.toThrow(
      /^cannot reach PostgreSQL at .*: database "no_such_database_here" does not exist \(3D000\)$/,
    );
    expect(waits).toEqual([]);
  });

  it("npm start prints one line naming the host and exits non-zero instead of a stack trace", async () => {
    const port = await closedPort();
    const dataDir = mkdtempSync(join(tmpdir(), "tt-open-"));
    dirs.push(dataDir);
    const result = await promisify(execFile)(process.execPath, ["--import", "tsx", "bot/main.ts"], {
      env: {
        PATH: process.env.PATH ?? "",
        BOT_TOKEN: "123456:TEST-token-for-the-fake-api",
        DATABASE_URL: `postgres://app:s3cret@127.0.0.1:${port}/tasks`,
        DATABASE_WAIT_SECONDS: "1",
        DATA_DIR: dataDir,
        TELEGRAM_API_ROOT: "http://127.0.0.1:9",
      },
    }).catch((error: { code: number; stdout: string; stderr: string }) => error);
    expect(result).toMatchObject({ code: 1, stderr: "" });
    const lines = result.stdout
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as { level: string; msg: string });
    expect(lines.at(-1)).toMatchObject({
      level: "fatal",
      msg: `cannot reach PostgreSQL at 127.0.0.1:${port} (DATABASE_URL): ECONNREFUSED; gave up after 1 s (DATABASE_WAIT_SECONDS)`,
    });
    expect(result.stdout).not.toContain("s3cret");
  }, 30_000);
});
