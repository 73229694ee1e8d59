import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createSql } from "#db/client";
import {
  DataDirectoryInUseError,
  EmbeddedPostgresError,
  startEmbeddedPostgres,
} from "#db/embedded";

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

/** Where the generated password of a data directory is kept: beside it, as DATA_DIR/pg.password. */
const passwordFile = (dataDir: string) => `${dataDir}.password`;

/** The version before generated passwords gave every data directory this one. */
const OLD_FIXED_PASSWORD = "task-tracker-dev";

/** `cp -a` keeps the postgres user's ownership, which the server insists on. */
async function copyOfInitialised(name: string): Promise<string> {
  const dataDir = join(root, name);
  await execFileAsync("cp", ["-a", initialised, dataDir]);
  await execFileAsync("cp", ["-a", passwordFile(initialised), passwordFile(dataDir)]);
  return dataDir;
}

/** The URL with another password in it. */
const withPassword = (url: string, password: string) =>
  url.replace(/^postgres:\/\/postgres:[^@]+@/, `postgres://postgres:${password}@`);

/** Why a connection with `password` is refused, or "accepted". */
async function tryPassword(url: string, password: string): Promise<string> {
  try {
    await query(withPassword(url, password), (sql) => sql`select 1`);
    return "accepted";
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

/** A copy of a data directory as the version with the fixed password left it. */
async function oldStyleDataDir(name: string): Promise<string> {
  const dataDir = await copyOfInitialised(name);
  const server = await startEmbeddedPostgres(dataDir);
  try {
    await query(server.url, (sql) => sql`create table kept (note text)`);
    await query(server.url, (sql) => sql`insert into kept values ('before the upgrade')`);
    await setPassword(server.url, OLD_FIXED_PASSWORD);
  } finally {
    await server.stop();
  }
  await rm(passwordFile(dataDir));
  return dataDir;
}

async function setPassword(url: string, password: string): Promise<void> {
  await query(url, (sql) => sql`select set_config('password_encryption', 'scram-sha-256', false)`);
  // A test-only literal; the product never puts a password into SQL text.
  await query(url, (sql) => sql.unsafe(`alter role postgres password '${password}'`));
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

describe("the embedded database's password", () => {
  it("is generated on first start into a file only its owner may read, and is not the old fixed one", async () => {
    const dataDir = join(root, "password-fresh", "data");
    const server = await startEmbeddedPostgres(dataDir);
    try {
      const file = await stat(passwordFile(dataDir));
      expect(file.mode & 0o777).toBe(0o600);
      const password = (await readFile(passwordFile(dataDir), "utf8")).trim();
      expect(password).toMatch(/^[0-9a-f]{64}$/);
      expect(server.url).toContain(`:${password}@`);
      expect(await tryPassword(server.url, password)).toBe("accepted");
      expect(await tryPassword(server.url, OLD_FIXED_PASSWORD)).toBe("28P01");
    } finally {
      await server.stop();
    }
  });

  it("differs between data directories and is reused on the next start", async () => {
    const other = (await readFile(passwordFile(initialised), "utf8")).trim();
    const dataDir = join(root, "password-reuse", "data");
    const first = await startEmbeddedPostgres(dataDir);
    await first.stop();
    const password = (await readFile(passwordFile(dataDir), "utf8")).trim();
    expect(password).not.toBe(other);

    const second = await startEmbeddedPostgres(dataDir);
    try {
      expect(second.url).toContain(`:${password}@`);
      expect((await readFile(passwordFile(dataDir), "utf8")).trim()).toBe(password);
    } finally {
      await second.stop();
    }
  });

  it("replaces the old fixed password of a data directory made before, keeping its data", async () => {
    const dataDir = await oldStyleDataDir("password-upgrade");

    const server = await startEmbeddedPostgres(dataDir);
    try {
      const password = (await readFile(passwordFile(dataDir), "utf8")).trim();
      expect(password).toMatch(/^[0-9a-f]{64}$/);
      expect((await stat(passwordFile(dataDir))).mode & 0o777).toBe(0o600);
      expect(await tryPassword(server.url, OLD_FIXED_PASSWORD)).toBe("28P01");
      expect(await tryPassword(server.url, password)).toBe("accepted");
      const rows = await query(server.url, (sql) => sql`select note from kept`);
      expect(rows).toEqual([{ note: "before the upgrade" }]);
    } finally {
      await server.stop();
    }
    const again = await startEmbeddedPostgres(dataDir);
    await again.stop();
  });

  it("finishes an upgrade that was interrupted after the password changed", async () => {
    const dataDir = await oldStyleDataDir("password-interrupted");
    const pending = "ab".repeat(32);
    // The run before changed the password, then died before keeping the file.
    const server = await startEmbeddedPostgres(dataDir);
    await setPassword(server.url, pending);
    await server.stop();
    await rm(passwordFile(dataDir), { force: true });
    await writeFile(`${passwordFile(dataDir)}.new`, `${pending}\n`, { mode: 0o600 });

    const resumed = await startEmbeddedPostgres(dataDir);
    try {
      expect((await readFile(passwordFile(dataDir), "utf8")).trim()).toBe(pending);
      expect(existsSync(`${passwordFile(dataDir)}.new`)).toBe(false);
      expect(await tryPassword(resumed.url, pending)).toBe("accepted");
    } finally {
      await resumed.stop();
    }
  });

  it("says which file to restore when the password file does not open the data directory", async () => {
    const dataDir = await copyOfInitialised("password-wrong");
    await writeFile(passwordFile(dataDir), `${"cd".repeat(32)}\n`, { mode: 0o600 });
    const started = startEmbeddedPostgres(dataDir);
    await expect(started).rejects.toThrow(EmbeddedPostgresError);
    await expect(started).rejects.toThrow(passwordFile(dataDir));
    expect(existsSync(join(dataDir, "postmaster.pid"))).toBe(false);
  });
});
