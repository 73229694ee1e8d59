import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestBot, type TestBot } from "#test/helpers/bot";
import { emptyTables, useTestDatabase } from "#test/helpers/db";
import { type FakeTelegram, startFakeTelegram } from "#test/helpers/fake-telegram";
import { closedPort } from "#test/helpers/ports";
import { alice, makeUpdates } from "#test/helpers/updates";

/**
 * deploy/Caddyfile's handling, run by Debian's caddy on loopback in front of two instances:
 * the Caddyfile adapted to JSON as Caddy reads it, with only the addresses changed (a
 * loopback port without TLS instead of DOMAIN:443, the instances' ports instead of
 * app1/app2). .ci/run installs caddy when it is missing.
 */

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const SECRET = "proxy_test_secret";
const db = useTestDatabase();
let fake: FakeTelegram;
let instances: TestBot[] = [];
let ports: number[] = [];
let caddy: ChildProcess | undefined;
let folder: string;
let proxyPort: number;

interface Handler {
  handler: string;
  upstreams?: { dial: string }[];
  routes?: { handle: Handler[] }[];
}

function proxyHandler(handlers: Handler[]): Handler | undefined {
  for (const handler of handlers) {
    if (handler.handler === "reverse_proxy") return handler;
    for (const route of handler.routes ?? []) {
      const found = proxyHandler(route.handle);
      if (found) return found;
    }
  }
  return undefined;
}

beforeAll(async () => {
  fake = await startFakeTelegram();
  await emptyTables(db.sql);
  ports = [await closedPort(), await closedPort()];
  instances = ports.map((port) =>
    createTestBot({
      sql: db.sql,
      telegram: fake,
      env: {
        HOST: "127.0.0.1",
        PORT: String(port),
        BOT_MODE: "webhook",
        PUBLIC_URL: "https://tasks.example.org",
        WEBHOOK_SECRET: SECRET,
        TRUST_PROXY: "1",
      },
    }),
  );
  for (const instance of instances) await instance.app.start();

  folder = await mkdtemp(join(tmpdir(), "task-tracker-caddy-"));
  const { stdout } = await promisify(execFile)(
    "caddy",
    ["adapt", "--adapter", "caddyfile", "--config", join(REPO, "deploy/Caddyfile")],
    { env: { PATH: process.env.PATH ?? "", DOMAIN: "tasks.example.org", HOME: folder } },
  );
  const config = JSON.parse(stdout);
  const server = config.apps.http.servers.srv0;
  proxyPort = await closedPort();
  server.listen = [`127.0.0.1:${proxyPort}`];
  server.automatic_https = { disable: true };
  // Matched by DOMAIN in production; here every request comes to 127.0.0.1.
  delete server.routes[0].match;
  const proxy = proxyHandler(server.routes[0].handle);
  if (!proxy) throw new Error("deploy/Caddyfile has no reverse_proxy");
  proxy.upstreams = ports.map((port) => ({ dial: `127.0.0.1:${port}` }));
  config.admin = { disabled: true };
  await writeFile(join(folder, "caddy.json"), JSON.stringify(config));

  caddy = spawn("caddy", ["run", "--config", join(folder, "caddy.json")], {
    env: { PATH: process.env.PATH ?? "", HOME: folder, XDG_DATA_HOME: folder },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const lines: string[] = [];
  const exited = once(caddy, "exit").then(() => "exited");
  const serving = new Promise<string>((resolve) => {
    createInterface({ input: caddy?.stderr as NodeJS.ReadableStream }).on("line", (line) => {
      lines.push(line);
      if (line.includes("serving initial configuration")) resolve("serving");
    });
  });
  expect(await Promise.race([serving, exited]), lines.join("\n")).toBe("serving");
});

afterAll(async () => {
  if (caddy && caddy.exitCode === null && caddy.signalCode === null) {
    const exited = once(caddy, "exit");
    caddy.kill("SIGKILL");
    await exited;
  }
  for (const instance of instances) await instance.app.stop();
  await fake?.close();
  if (folder) await rm(folder, { recursive: true, force: true });
});

const viaProxy = (path: string, init?: RequestInit) =>
  fetch(`http://127.0.0.1:${proxyPort}${path}`, init);
const direct = (path: string) => fetch(`http://127.0.0.1:${ports[0]}${path}`);

describe("Caddy in front of two instances (deploy/Caddyfile)", () => {
  it("passes the service's security headers on once and unchanged, and drops Server", async () => {
    for (const path of ["/", "/healthz"]) {
      const [proxied, original] = [await viaProxy(path), await direct(path)];
      expect(proxied.status, path).toBe(200);
      for (const name of [
        "content-security-policy",
        "strict-transport-security",
        "x-content-type-options",
        "referrer-policy",
      ]) {
        // Repeated headers would be joined with ", " here.
        expect(proxied.headers.get(name), `${path} ${name}`).toBe(original.headers.get(name));
        expect(original.headers.get(name), `${path} ${name}`).toBeTruthy();
      }
      expect(proxied.headers.get("server")).toBeNull();
    }
  });

  it("delivers the webhook to an instance, which processes the update", async () => {
    const updates = makeUpdates();
    const response = await viaProxy("/telegram/webhook", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-telegram-bot-api-secret-token": SECRET,
      },
      body: JSON.stringify(updates.privateText(alice, "/newtask Through the proxy")),
    });
    expect(response.status).toBe(200);
    await fake.waitForCalls(() =>
      fake.textsTo(alice.id).some((t) => t.includes("Through the proxy")),
    );
    expect((await db.sql`select 1 from tasks`).length).toBe(1);
  });

  it("does not serve /metrics to the internet", async () => {
    expect((await viaProxy("/metrics")).status).toBe(404);
  });
});
