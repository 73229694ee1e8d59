import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createSql } from "#db/client";
import { DataDirectoryInUseError, startEmbeddedPostgres } from "#db/embedded";

const projectRoot = fileURLToPath(new URL("../../", import.meta.url));
const orphanScript = fileURLToPath(new URL("../helpers/embedded-orphan.ts", import.meta.url));

const execFileAsync = promisify(execFile);

let root: string;
/** A data directory initialised once; tests that need no new one take a copy (initdb is ~1 s). */
let initialised: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "tt-embedded-test-"));
  // The server runs as the postgres user, who must be able to enter the data directories.
  await chmod(root, 0o755);
  initialised = join(root, "initialised");
  const server = await startEmbeddedPostgres(initialised);
  await server.stop();
});

/** `cp -a` keeps the postgres user's ownership, which the server insists on. */
async function copyOfInitialised(name: string): Promise<string> {
  const dataDir = join(root, name);
  await execFileAsync("cp", ["-a", initialised, dataDir]);
  return dataDir;
}

afterEach(() => {
  vi.restoreAllMocks();
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function query<T extends readonly object[]>(
  url: string,
  run: (sql: ReturnType<typeof createSql>) => Promise<T>,
): Promise<T> {
  const sql = createSql(url, { max: 1 });
  try {
    return await run(sql);
  } finally {
    await sql.end();
  }
}

async function postmasterPid(dataDir: string): Promise<number> {
  const text = await readFile(join(dataDir, "postmaster.pid"), "utf8");
  return Number(text.split("\n", 1)[0]);
}

/** Alive and not a zombie waiting to be reaped. */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ", 1)[0];
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

describe("startEmbeddedPostgres", () => {
  it("initialises a new data directory, serves the app database and prints nothing", async () => {
    const dataDir = join(root, "fresh", "data");
    const stdout = vi.spyOn(process.stdout, "write");
    const consoleLog = vi.spyOn(console, "log");
    const messages: string[] = [];

    const server = await startEmbeddedPostgres(dataDir, (msg) => messages.push(msg));
    try {
      const [row] = await query(
        server.url,
        (sql) => sql`select current_database() as db, 1 + 1 as two`,
      );
      expect(row).toEqual({ db: "task_tracker", two: 2 });
      expect(server.url).toMatch(/^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/task_tracker$/);
    } finally {
      await server.stop();
    }

    expect(stdout).not.toHaveBeenCalled();
    expect(consoleLog).not.toHaveBeenCalled();
    expect(messages.some((msg) => msg.includes("ready to accept connections"))).toBe(true);
    expect(existsSync(join(dataDir, "postmaster.pid"))).toBe(false);
  });

  it("keeps the data across a restart on the same directory", async () => {
    const dataDir = await copyOfInitialised("restart");
    const first = await startEmbeddedPostgres(dataDir);
    try {
      await query(first.url, (sql) => sql`create table kept (note text)`);
      await query(first.url, (sql) => sql`insert into kept values ('from run 1')`);
    } finally {
      await first.stop();
    }

    const second = await startEmbeddedPostgres(dataDir);
    try {
      const rows = await query(second.url, (sql) => sql`select note from kept`);
      expect(rows).toEqual([{ note: "from run 1" }]);
    } finally {
      await second.stop();
    }
  });

  it("stops the orphaned server of a killed process, then starts on its directory", async () => {
    const dataDir = join(root, "orphan");
    const child = spawn(process.execPath, ["--import", "tsx", orphanScript, dataDir], {
      cwd: projectRoot,
      stdio: ["ignore", "pipe", "inherit"],
    });
    const [line] = await once(createInterface({ input: child.stdout }), "line");
    const orphan: { pid: number; url: string } = JSON.parse(String(line));
    await query(orphan.url, (sql) => sql`create table left_behind (id int)`);

    child.kill("SIGKILL");
    await once(child, "exit");
    expect(isRunning(orphan.pid)).toBe(true);

    const server = await startEmbeddedPostgres(dataDir);
    try {
      expect(isRunning(orphan.pid)).toBe(false);
      expect(await postmasterPid(dataDir)).not.toBe(orphan.pid);
      const rows = await query(
        server.url,
        (sql) => sql`select count(*)::int as n from left_behind`,
      );
      expect(rows).toEqual([{ n: 0 }]);
    } finally {
      await server.stop();
    }
  });

  it("refuses a directory whose server another live process still runs", async () => {
    const dataDir = await copyOfInitialised("busy");
    const owner = await startEmbeddedPostgres(dataDir);
    try {
      await expect(startEmbeddedPostgres(dataDir)).rejects.toThrow(DataDirectoryInUseError);
      const [row] = await query(owner.url, (sql) => sql`select 1 as one`);
      expect(row).toEqual({ one: 1 });
    } finally {
      await owner.stop();
    }
  });

  it("lets one of two simultaneous starts on a new directory win and tells the other", async () => {
    const dataDir = join(root, "race");

    const results = await Promise.allSettled([
      startEmbeddedPostgres(dataDir),
      startEmbeddedPostgres(dataDir),
    ]);

    const started = results.flatMap((result) =>
      result.status === "fulfilled" ? [result.value] : [],
    );
    const refused = results.flatMap((result) =>
      result.status === "rejected" ? [result.reason] : [],
    );
    try {
      expect(started).toHaveLength(1);
      expect(refused).toEqual([expect.any(DataDirectoryInUseError)]);
      const [row] = await query(started[0]?.url ?? "", (sql) => sql`select 1 as one`);
      expect(row).toEqual({ one: 1 });
    } finally {
      await Promise.all(started.map((server) => server.stop()));
    }
  });

  it("stop() returns when the server has already died", async () => {
    const dataDir = await copyOfInitialised("died");
    const server = await startEmbeddedPostgres(dataDir);
    const pid = await postmasterPid(dataDir);

    process.kill(pid, "SIGKILL");

    await server.stop();
    expect(isRunning(pid)).toBe(false);
  });
});
