import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CONFIG_VARIABLES, FILE_VARIABLES, loadConfig, resolveSecretFiles } from "#bot/config";

const token = "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ_abc";
const key32 = Buffer.alloc(32, 5).toString("base64");

describe("loadConfig", () => {
  it("applies the documented defaults", () => {
    const config = loadConfig({ BOT_TOKEN: token });
    expect(config).toMatchObject({
      databaseUrl: undefined,
      telegramApiRoot: "https://api.telegram.org",
      botMode: "polling",
      host: "127.0.0.1",
      port: 3000,
      redisUrl: undefined,
      dataDir: "./data",
      logLevel: "info",
      retention: { defaultDays: 90, minDays: 1, maxDays: 3650 },
      purgeIntervalMinutes: 60,
      purgeBatchSize: 5000,
      auditRetentionDays: 365,
    });
    expect([...config.adminIds]).toEqual([]);
  });

  it("reads the retention policy and the purge settings", () => {
    const config = loadConfig({
      BOT_TOKEN: token,
      RETENTION_DAYS: "30",
      RETENTION_MIN_DAYS: "7",
      RETENTION_MAX_DAYS: "365",
      PURGE_INTERVAL_MINUTES: "0",
      PURGE_BATCH_SIZE: "1000",
      AUDIT_RETENTION_DAYS: "730",
    });
    expect(config).toMatchObject({
      retention: { defaultDays: 30, minDays: 7, maxDays: 365 },
      purgeIntervalMinutes: 0,
      purgeBatchSize: 1000,
      auditRetentionDays: 730,
    });
  });

  it("refuses a retention default outside its bounds, and bounds the wrong way round", () => {
    expect(() =>
      loadConfig({ BOT_TOKEN: token, RETENTION_DAYS: "5", RETENTION_MIN_DAYS: "7" }),
    ).toThrow("RETENTION_DAYS must be within RETENTION_MIN_DAYS and RETENTION_MAX_DAYS (7-3650)");
    expect(() =>
      loadConfig({ BOT_TOKEN: token, RETENTION_MIN_DAYS: "400", RETENTION_MAX_DAYS: "365" }),
    ).toThrow("RETENTION_MIN_DAYS must not be above RETENTION_MAX_DAYS (365)");
    expect(() => loadConfig({ BOT_TOKEN: token, PURGE_BATCH_SIZE: "0" })).toThrow(
      "PURGE_BATCH_SIZE must be a whole number from 1 to 100000",
    );
    expect(() => loadConfig({ BOT_TOKEN: token, RETENTION_DAYS: "ninety" })).toThrow(
      "RETENTION_DAYS must be a whole number from 1 to 36500",
    );
  });

  it("parses every variable", () => {
    const config = loadConfig({
      BOT_TOKEN: token,
      DATABASE_URL: "postgres://u@db:5432/tasks",
      TELEGRAM_API_ROOT: "http://127.0.0.1:8081/",
      BOT_MODE: "webhook",
      PUBLIC_URL: "https://tasks.example.org/",
      WEBHOOK_SECRET: "abc-DEF_123",
      HOST: "0.0.0.0",
      PORT: "8080",
      ADMIN_IDS: "1, 22,333",
      REDIS_URL: "redis://127.0.0.1:6379",
      DATA_DIR: "/var/lib/tasks",
      LOG_LEVEL: "debug",
    });
    expect(config).toMatchObject({
      telegramApiRoot: "http://127.0.0.1:8081",
      publicUrl: "https://tasks.example.org",
      port: 8080,
      botMode: "webhook",
    });
    expect([...config.adminIds]).toEqual([1, 22, 333]);
  });

  it("reads the encryption key ring and the hash secret", () => {
    const first = Buffer.alloc(32, 1);
    const second = Buffer.alloc(32, 2);
    const config = loadConfig({
      BOT_TOKEN: token,
      ENCRYPTION_KEYS: `${first.toString("base64")}, ${second.toString("base64")}`,
      HASH_SECRET: Buffer.alloc(32, 3).toString("base64"),
      NODE_ENV: "production",
    });
    expect(config.encryptionKeys).toEqual([first, second]);
    expect(config.hashSecret).toEqual(Buffer.alloc(32, 3));
    expect(config.production).toBe(true);
  });

  it.each([
    [
      { BOT_TOKEN: token, ENCRYPTION_KEYS: `${key32},bm90LWEta2V5` },
      "ENCRYPTION_KEYS key 2 is not base64 of 32 bytes",
    ],
    [
      { BOT_TOKEN: token, ENCRYPTION_KEYS: Buffer.alloc(16).toString("base64") },
      "ENCRYPTION_KEYS key 1 is not base64 of 32 bytes",
    ],
    [{ BOT_TOKEN: token, HASH_SECRET: "short" }, "HASH_SECRET is not base64 of 32 bytes"],
    [
      { BOT_TOKEN: token, NODE_ENV: "production", HASH_SECRET: key32 },
      "ENCRYPTION_KEYS is required when NODE_ENV=production",
    ],
    [
      { BOT_TOKEN: token, NODE_ENV: "production", ENCRYPTION_KEYS: key32 },
      "HASH_SECRET is required when NODE_ENV=production",
    ],
  ])("refuses bad secrets: %o", (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it.each([
    [{}, "BOT_TOKEN is required"],
    [{ BOT_TOKEN: "nope" }, "BOT_TOKEN must look like"],
    [{ BOT_TOKEN: token, PORT: "eighty" }, "PORT must be a port number (0-65535)"],
    [{ BOT_TOKEN: token, BOT_MODE: "push" }, "BOT_MODE"],
    [
      { BOT_TOKEN: token, BOT_MODE: "webhook", WEBHOOK_SECRET: "x" },
      "PUBLIC_URL is required when BOT_MODE=webhook",
    ],
    [
      { BOT_TOKEN: token, BOT_MODE: "webhook", PUBLIC_URL: "https://x.org" },
      "WEBHOOK_SECRET is required when BOT_MODE=webhook",
    ],
    [{ BOT_TOKEN: token, WEBHOOK_SECRET: "has space" }, "WEBHOOK_SECRET must be 1-256 characters"],
    [
      { BOT_TOKEN: token, ADMIN_IDS: "1,alice" },
      "ADMIN_IDS must be comma-separated Telegram user ids",
    ],
    [{ BOT_TOKEN: token, DATABASE_URL: "mysql://x" }, "DATABASE_URL must be a postgres:// URL"],
  ])("stops with one line naming the variable: %j", (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
    try {
      loadConfig(env);
    } catch (error) {
      expect((error as Error).message).not.toContain("\n");
    }
  });

  it("believes no proxy unless TRUST_PROXY names how many hops", () => {
    expect(loadConfig({ BOT_TOKEN: token }).trustProxy).toBe(0);
    expect(loadConfig({ BOT_TOKEN: token, TRUST_PROXY: "2" }).trustProxy).toBe(2);
    for (const value of ["-1", "yes", "1.5", "11"]) {
      expect(() => loadConfig({ BOT_TOKEN: token, TRUST_PROXY: value })).toThrow(
        "TRUST_PROXY must be a whole number from 0 to 10",
      );
    }
  });

  it("treats empty values as unset, as .env files write them", () => {
    expect(loadConfig({ BOT_TOKEN: token, DATABASE_URL: "", PORT: "" }).port).toBe(3000);
  });
});

describe("secrets from files", () => {
  it("reads a *_FILE variable's file, without its trailing newline", () => {
    const dir = mkdtempSync(join(tmpdir(), "tt-config-"));
    writeFileSync(join(dir, "token"), `${token}\n`);
    writeFileSync(join(dir, "hash"), `${key32}\r\n`);
    const config = loadConfig({
      BOT_TOKEN_FILE: join(dir, "token"),
      HASH_SECRET_FILE: join(dir, "hash"),
    });
    expect(config.botToken).toBe(token);
    expect(config.hashSecret).toEqual(Buffer.alloc(32, 5));
  });

  it("refuses a variable set both ways", () => {
    expect(() =>
      loadConfig({ BOT_TOKEN: token, BOT_TOKEN_FILE: "/run/secrets/token" }, () => token),
    ).toThrow("set BOT_TOKEN or BOT_TOKEN_FILE, not both");
  });

  it("names the unreadable file and never shows a secret", () => {
    const error = (() => {
      try {
        loadConfig({ BOT_TOKEN: token, HASH_SECRET_FILE: "/nowhere/hash" });
      } catch (caught) {
        return caught as Error;
      }
    })();
    expect(error?.message).toBe(
      "Invalid configuration: HASH_SECRET_FILE cannot be read (/nowhere/hash: ENOENT)",
    );
  });

  it("reads every secret from a file, METRICS_TOKEN included, and refuses each set both ways", () => {
    const names = [
      "BOT_TOKEN",
      "WEBHOOK_SECRET",
      "ENCRYPTION_KEYS",
      "HASH_SECRET",
      "DATABASE_URL",
      "REDIS_URL",
      "METRICS_TOKEN",
    ];
    expect([...FILE_VARIABLES].sort()).toEqual([...names].sort());
    for (const name of names) {
      const env = { [`${name}_FILE`]: `/run/secrets/${name}` };
      expect(resolveSecretFiles(env, (path) => `from ${path}\n`)).toEqual({
        [name]: `from /run/secrets/${name}`,
      });
      expect(() => resolveSecretFiles({ ...env, [name]: "x" }, () => "y")).toThrow(
        `set ${name} or ${name}_FILE, not both`,
      );
    }
  });

  it("says why a file cannot be read, in one line without its content", () => {
    const dir = mkdtempSync(join(tmpdir(), "tt-config-"));
    expect(() => loadConfig({ BOT_TOKEN_FILE: dir })).toThrow(
      `Invalid configuration: BOT_TOKEN_FILE cannot be read (${dir}: EISDIR)`,
    );
  });

  it("checks a file's value like the variable's", () => {
    expect(() => loadConfig({ BOT_TOKEN_FILE: "/run/secrets/token" }, () => "not-a-token")).toThrow(
      /^Invalid configuration: BOT_TOKEN must look like/,
    );
  });
});

describe("the database's TLS settings", () => {
  const ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  const db = (query: string) => `postgres://u:p@db.example.org:5432/tasks${query}`;

  it("reads the CA file for sslmode=verify-full and verify-ca", () => {
    for (const mode of ["verify-full", "verify-ca"]) {
      const config = loadConfig(
        { BOT_TOKEN: token, DATABASE_URL: db(`?sslmode=${mode}`), DATABASE_CA_FILE: "/ca.pem" },
        () => ca,
      );
      expect(config.databaseCa).toBe(ca);
    }
    expect(loadConfig({ BOT_TOKEN: token, DATABASE_URL: db("?sslmode=require") }).databaseCa).toBe(
      undefined,
    );
  });

  it.each([
    [
      { DATABASE_URL: db("?sslmode=verify_full") },
      "DATABASE_URL has sslmode=verify_full; use one of disable, prefer, require, verify-ca, verify-full",
    ],
    [
      { DATABASE_URL: db("?sslmode=require"), DATABASE_CA_FILE: "/ca.pem" },
      "DATABASE_CA_FILE is set but DATABASE_URL has sslmode=require: add sslmode=verify-full (or verify-ca) to use it",
    ],
    [
      { DATABASE_URL: db(""), DATABASE_CA_FILE: "/ca.pem" },
      "DATABASE_CA_FILE is set but DATABASE_URL has no sslmode",
    ],
    [{ DATABASE_CA_FILE: "/ca.pem" }, "DATABASE_CA_FILE is set but DATABASE_URL is not"],
    [
      { DATABASE_URL: db("?sslmode=verify-full&sslrootcert=/ca.pem") },
      "DATABASE_URL has sslrootcert: give the CA file as DATABASE_CA_FILE instead",
    ],
  ])("refuses settings that cannot work, in one line: %j", (env, message) => {
    expect(() => loadConfig({ BOT_TOKEN: token, ...env }, () => ca)).toThrow(
      `Invalid configuration: ${message}`,
    );
  });

  it("refuses a CA file that is not a PEM certificate, or cannot be read", () => {
    const env = {
      BOT_TOKEN: token,
      DATABASE_URL: db("?sslmode=verify-full"),
      DATABASE_CA_FILE: "/ca.pem",
    };
    expect(() => loadConfig(env, () => "secret-looking text")).toThrow(
      "Invalid configuration: DATABASE_CA_FILE is not a PEM certificate (/ca.pem)",
    );
    expect(() => loadConfig({ ...env, DATABASE_CA_FILE: "/nowhere/ca.pem" })).toThrow(
      "Invalid configuration: DATABASE_CA_FILE cannot be read (/nowhere/ca.pem: ENOENT)",
    );
  });
});

describe("the documentation of the configuration", () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const example = readFileSync(new URL("../.env.example", import.meta.url), "utf8");

  it("lists every variable in the README's table and in .env.example", () => {
    const missing = CONFIG_VARIABLES.flatMap((name) => [
      ...(readme.includes(`\`${name}\``) ? [] : [`README: ${name}`]),
      ...(new RegExp(`^#? ?${name}=`, "m").test(example) ? [] : [`.env.example: ${name}`]),
    ]);
    expect(missing).toEqual([]);
  });

  it("documents the *_FILE form of each secret", () => {
    const operations = readFileSync(new URL("../docs/operations.md", import.meta.url), "utf8");
    const missing = FILE_VARIABLES.filter((name) => !operations.includes(`\`${name}_FILE\``));
    expect(missing).toEqual([]);
  });
});
