import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { closedPort } from "#test/helpers/ports";

/**
 * Debian's nginx as the cluster's TLS terminator, on loopback, run as a child of the test
 * (its own prefix, config and pid file; `daemon off`), with a self-signed certificate made
 * now by openssl. The proxy settings are the ones docs/operations.md recommends.
 */

export interface Nginx {
  /** https://127.0.0.1:PORT: the service's PUBLIC_URL. */
  url: string;
  /** The certificate, for the client that plays Telegram. */
  ca: string;
  /** Every request nginx answered so far: path, status and the upstream(s) it tried. */
  requests(): Promise<ProxiedRequest[]>;
  stop(): Promise<void>;
}

export interface ProxiedRequest {
  path: string;
  status: number;
  /** "127.0.0.1:PORT" of each instance tried, in order (more than one: passed on). */
  upstreams: string[];
}

const run = promisify(execFile);
/** Debian's package puts it in /usr/sbin, outside a non-root PATH. */
const NGINX = existsSync("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";

export async function startNginx(upstreamPorts: readonly number[]): Promise<Nginx> {
  const dir = await mkdtemp(join(tmpdir(), "task-tracker-nginx-"));
  // Workers run as nobody when the test runs as root: they must reach the temp folders.
  await chmod(dir, 0o755);
  let child: ChildProcess | undefined;
  try {
    const cert = join(dir, "cert.pem");
    const key = join(dir, "key.pem");
    await run("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      key,
      "-out",
      cert,
    ]);
    const port = await closedPort();
    const conf = join(dir, "nginx.conf");
    await writeFile(conf, nginxConf({ dir, port, cert, key, upstreamPorts }));
    child = spawn(NGINX, ["-p", dir, "-c", conf, "-e", join(dir, "error.log")], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    const stderr: string[] = [];
    child.on("error", (error) => {
      stderr.push(`${error.message} (install Debian's nginx: apt-get install nginx)`);
    });
    child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
    await untilListening(port, child, () => stderr.join(""));
    const started = child;
    return {
      url: `https://127.0.0.1:${port}`,
      ca: await readFile(cert, "utf8"),
      requests: async () => parseAccessLog(await readFile(join(dir, "access.log"), "utf8")),
      stop: async () => {
        if (started.exitCode === null && started.signalCode === null) {
          const exited = once(started, "exit");
          // nginx's fast shutdown; its workers are its own children and go with it.
          started.kill("SIGTERM");
          await exited;
        }
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    child?.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

function nginxConf(o: {
  dir: string;
  port: number;
  cert: string;
  key: string;
  upstreamPorts: readonly number[];
}): string {
  const servers = o.upstreamPorts
    .map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=1s;`)
    .join("\n");
  return `
daemon off;
worker_processes 1;
pid ${o.dir}/nginx.pid;
error_log ${o.dir}/error.log warn;
events { worker_connections 512; }
http {
  client_body_temp_path ${o.dir}/body;
  proxy_temp_path ${o.dir}/proxy;
  fastcgi_temp_path ${o.dir}/fastcgi;
  uwsgi_temp_path ${o.dir}/uwsgi;
  scgi_temp_path ${o.dir}/scgi;
  log_format upstreams '$uri $status "$upstream_addr"';
  access_log ${o.dir}/access.log upstreams;

  upstream app {
${servers}
  }
  server {
    listen 127.0.0.1:${o.port} ssl;
    ssl_certificate ${o.cert};
    ssl_certificate_key ${o.key};
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto https;
    proxy_connect_timeout 2s;
    proxy_read_timeout 120s;

    # A stopped or stopping instance: the next one gets the request.
    location / {
      proxy_pass http://app;
      proxy_next_upstream error timeout http_502 http_503;
    }
    # Deliveries are processed exactly once (processed_updates), so even one an instance
    # may have started is safe to pass on: Telegram need not wait to deliver it again.
    location = /telegram/webhook {
      proxy_pass http://app;
      proxy_next_upstream error timeout http_502 http_503 non_idempotent;
    }
  }
}
`;
}

/** Tries the port until nginx accepts connections; fails at once if nginx exits. */
async function untilListening(port: number, child: ChildProcess, stderr: () => string) {
  for (;;) {
    const failed = child.exitCode !== null || child.pid === undefined;
    if (failed) throw new Error(`nginx did not start: ${stderr()}`);
    const socket = connect(port, "127.0.0.1");
    const up = await new Promise<boolean>((resolve) => {
      socket.once("connect", () => resolve(true));
      socket.once("error", () => resolve(false));
    });
    socket.destroy();
    if (up) return;
  }
}

function parseAccessLog(text: string): ProxiedRequest[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const match = /^(\S+) (\d+) "([^"]*)"$/.exec(line);
      if (!match) throw new Error(`unexpected access log line: ${line}`);
      const [, path = "", status = "0", upstreams = ""] = match;
      return {
        path,
        status: Number(status),
        upstreams: upstreams.split(/, | : /).filter((u) => u !== "" && u !== "-"),
      };
    });
}
