import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import type { RetentionRules } from "#db/retention";
import { tlsSettingsProblem } from "#db/tls";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const wholeNumber = (min: number, max: number, fallback: number) =>
  z.coerce
    .number({ error: `must be a whole number from ${min} to ${max}` })
    .int({ error: `must be a whole number from ${min} to ${max}` })
    .min(min, { error: `must be a whole number from ${min} to ${max}` })
    .max(max, { error: `must be a whole number from ${min} to ${max}` })
    .default(fallback);

/** Longest period anyone may set: ten years. */
const RETENTION_CEILING_DAYS = 36_500;

const envSchema = z
  .object({
    BOT_TOKEN: z
      .string({ error: "is required: the token @BotFather gave you" })
      .regex(/^\d+:[\w-]{20,}$/, "must look like 123456:ABC-DEF… (the token @BotFather gave you)"),
    DATABASE_URL: z
      .url({ protocol: /^postgres(ql)?$/, error: "must be a postgres:// URL" })
      .optional(),
    DATABASE_CA_FILE: z.string().min(1).optional(),
    DATABASE_WAIT_SECONDS: wholeNumber(0, 3600, 60),
    TELEGRAM_API_ROOT: z
      .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
      .default("https://api.telegram.org")
      .transform((url) => url.replace(/\/+$/, "")),
    BOT_MODE: z.enum(["polling", "webhook"]).default("polling"),
    PUBLIC_URL: z
      .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
      .transform((url) => url.replace(/\/+$/, ""))
      .optional(),
    WEBHOOK_SECRET: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,256}$/, "must be 1-256 characters of A-Z a-z 0-9 _ -")
      .optional(),
    HOST: z.string().min(1).default("127.0.0.1"),
    PORT: z.coerce
      .number({ error: "must be a port number (0-65535)" })
      .int({ error: "must be a port number (0-65535)" })
      .min(0, { error: "must be a port number (0-65535)" })
      .max(65535, { error: "must be a port number (0-65535)" })
      .default(3000),
    ADMIN_IDS: z
      .string()
      .default("")
      .transform((value, ctx) => {
        const ids: number[] = [];
        for (const part of value.split(",").map((p) => p.trim())) {
          if (part === "") continue;
          if (!/^\d{1,16}$/.test(part)) {
            ctx.addIssue({ code: "custom", message: "must be comma-separated Telegram user ids" });
            return z.NEVER;
          }
          ids.push(Number(part));
        }
        return ids;
      }),
    REDIS_URL: z.url({ protocol: /^rediss?$/, error: "must be a redis:// URL" }).optional(),
    DATA_DIR: z.string().min(1).default("./data"),
    LOG_LEVEL: z.enum(LOG_LEVELS).default("info"),
    NODE_ENV: z.string().optional(),
    ENCRYPTION_KEYS: z
      .string()
      .transform((value, ctx) => {
        const keys: Buffer[] = [];
        for (const [index, part] of value.split(",").entries()) {
          const key = decodeKey(part.trim());
          if (!key) {
            ctx.addIssue({
              code: "custom",
              message: `key ${index + 1} is not base64 of 32 bytes (make one with: openssl rand -base64 32)`,
            });
            return z.NEVER;
          }
          keys.push(key);
        }
        return keys;
      })
      .optional(),
    HASH_SECRET: z
      .string()
      .transform((value, ctx) => {
        const key = decodeKey(value.trim());
        if (!key) {
          ctx.addIssue({
            code: "custom",
            message: "is not base64 of 32 bytes (make one with: openssl rand -base64 32)",
          });
          return z.NEVER;
        }
        return key;
      })
      .optional(),
    RETENTION_DAYS: wholeNumber(1, RETENTION_CEILING_DAYS, 90),
    RETENTION_MIN_DAYS: wholeNumber(1, RETENTION_CEILING_DAYS, 1),
    RETENTION_MAX_DAYS: wholeNumber(1, RETENTION_CEILING_DAYS, 3650),
    PURGE_INTERVAL_MINUTES: wholeNumber(0, 7 * 24 * 60, 60),
    PURGE_BATCH_SIZE: wholeNumber(1, 100_000, 5000),
    AUDIT_RETENTION_DAYS: wholeNumber(1, RETENTION_CEILING_DAYS, 365),
    INIT_DATA_MAX_AGE: wholeNumber(60, 30 * 24 * 60 * 60, 86_400),
    CORS_ORIGINS: z
      .string()
      .transform((value, ctx) => {
        const origins: string[] = [];
        for (const part of value.split(",").map((p) => p.trim())) {
          if (part === "") continue;
          const origin = originOf(part);
          if (!origin || origin !== part.replace(/\/+$/, "")) {
            ctx.addIssue({
              code: "custom",
              message: "must be comma-separated origins like https://app.example.org",
            });
            return z.NEVER;
          }
          origins.push(origin);
        }
        return origins;
      })
      .optional(),
    API_RATE_LIMIT_PER_MINUTE: wholeNumber(1, 1_000_000, 120),
    API_AUTH_FAILURES_PER_MINUTE: wholeNumber(1, 100_000, 30),
    TRUST_PROXY: wholeNumber(0, 10, 0),
    METRICS_TOKEN: z
      .string()
      .regex(
        /^[A-Za-z0-9._~+/-]{16,256}=*$/,
        "must be 16-256 characters of A-Z a-z 0-9 - . _ ~ + / (make one with: openssl rand -hex 32)",
      )
      .optional(),
  })
  .superRefine((env, ctx) => {
    const tlsProblem = env.DATABASE_URL
      ? tlsSettingsProblem(env.DATABASE_URL, env.DATABASE_CA_FILE !== undefined)
      : env.DATABASE_CA_FILE && "DATABASE_CA_FILE is set but DATABASE_URL is not";
    if (tlsProblem) {
      // The problem names its variables itself.
      ctx.addIssue({ code: "custom", path: [], message: tlsProblem });
    }
    if (env.RETENTION_MIN_DAYS > env.RETENTION_MAX_DAYS) {
      ctx.addIssue({
        code: "custom",
        path: ["RETENTION_MIN_DAYS"],
        message: `must not be above RETENTION_MAX_DAYS (${env.RETENTION_MAX_DAYS})`,
      });
    } else if (
      env.RETENTION_DAYS < env.RETENTION_MIN_DAYS ||
      env.RETENTION_DAYS > env.RETENTION_MAX_DAYS
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["RETENTION_DAYS"],
        message: `must be within RETENTION_MIN_DAYS and RETENTION_MAX_DAYS (${env.RETENTION_MIN_DAYS}-${env.RETENTION_MAX_DAYS})`,
      });
    }
    if (env.NODE_ENV === "production") {
      for (const name of ["ENCRYPTION_KEYS", "HASH_SECRET"] as const) {
        if (env[name]) continue;
        ctx.addIssue({
          code: "custom",
          path: [name],
          message: "is required when NODE_ENV=production (make one with: openssl rand -base64 32)",
        });
      }
    }
    if (env.BOT_MODE !== "webhook") return;
    if (!env.PUBLIC_URL) {
      ctx.addIssue({
        code: "custom",
        path: ["PUBLIC_URL"],
        message: "is required when BOT_MODE=webhook",
      });
    }
    if (!env.WEBHOOK_SECRET) {
      ctx.addIssue({
        code: "custom",
        path: ["WEBHOOK_SECRET"],
        message: "is required when BOT_MODE=webhook",
      });
    }
  });

/** Every variable the service reads (the README's table and .env.example list each one). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

/**
 * Secrets that may come from a file instead (`BOT_TOKEN_FILE=/run/secrets/bot_token`), as
 * Docker and Kubernetes secrets are mounted: the value never sits in the process environment.
 */
export const FILE_VARIABLES = [
  "BOT_TOKEN",
  "DATABASE_URL",
  "WEBHOOK_SECRET",
  "REDIS_URL",
  "ENCRYPTION_KEYS",
  "HASH_SECRET",
  "METRICS_TOKEN",
] as const;

export interface Config {
  botToken: string;
  /**
   * Started without BOT_TOKEN: the sandbox, where an in-process Bot API emulator stands in for
   * Telegram (bot/sandbox) and botToken is one made up for it. Never in production.
   */
  sandbox: boolean;
  databaseUrl: string | undefined;
  /** PEM of the CA that signs the database server's certificate (DATABASE_CA_FILE). */
  databaseCa: string | undefined;
  /** How long the start waits for DATABASE_URL's server to answer (a compose start). */
  databaseWaitSeconds: number;
  telegramApiRoot: string;
  botMode: "polling" | "webhook";
  publicUrl: string | undefined;
  webhookSecret: string | undefined;
  host: string;
  port: number;
  adminIds: ReadonlySet<number>;
  redisUrl: string | undefined;
  dataDir: string;
  logLevel: (typeof LOG_LEVELS)[number];
  production: boolean;
  /** AES-256 keys, the first encrypts; undefined: main.ts uses the development key. */
  encryptionKeys: Buffer[] | undefined;
  /** Keys the HMACs of user ids (logs, audit) and lookups; same rule as encryptionKeys. */
  hashSecret: Buffer | undefined;
  retention: RetentionRules;
  /** 0: no scheduled purge (an admin's /purge still runs). */
  purgeIntervalMinutes: number;
  purgeBatchSize: number;
  auditRetentionDays: number;
  /** Seconds a Mini App's init data stays valid. */
  initDataMaxAgeSeconds: number;
  /** Origins allowed to call the API from a browser (CORS). */
  corsOrigins: readonly string[];
  /** Requests per user per minute on the API. */
  apiRateLimitPerMinute: number;
  /** Failed authentications per IP per minute before the API refuses that IP a while. */
  apiAuthFailuresPerMinute: number;
  /** Proxy hops in front of the service whose X-Forwarded-For entries are believed. */
  trustProxy: number;
  /** Bearer token that /metrics asks for; undefined: /metrics is not served. */
  metricsToken: string | undefined;
}

function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return /^https?:$/.test(parsed.protocol) ? parsed.origin : undefined;
  } catch {
    return undefined;
  }
}

function decodeKey(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]{43}=$/.test(text)) return undefined;
  const key = Buffer.from(text, "base64");
  return key.length === 32 ? key : undefined;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

export interface ConfigOptions {
  /**
   * Without BOT_TOKEN, start the sandbox with a token from this function instead of refusing
   * (the service's start only; scripts that talk to Telegram need the real token).
   */
  sandboxToken?: () => string;
}

/** The only reader of the environment. Throws ConfigError with one line per bad variable. */
export function loadConfig(
  env: Record<string, string | undefined>,
  readFile: (path: string) => string = (path) => readFileSync(path, "utf8"),
  options: ConfigOptions = {},
): Config {
  // Empty values in .env files mean "not set", as in most dotenv tools.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ""));
  const resolved = resolveSecretFiles(present, readFile);
  const sandbox = options.sandboxToken !== undefined && resolved.BOT_TOKEN === undefined;
  if (sandbox && resolved.NODE_ENV === "production") {
    // The sandbox answers anyone with made-up people and a made-up Telegram: never a service.
    throw new ConfigError(
      "Invalid configuration: BOT_TOKEN is required when NODE_ENV=production (the sandbox, started without a token, never runs in production)",
    );
  }
  const parsed = envSchema.safeParse(
    sandbox && options.sandboxToken ? { ...resolved, BOT_TOKEN: options.sandboxToken() } : resolved,
  );
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      if (issue.path.length === 0) return issue.message;
      return `${issue.path.join(".")} ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration: ${lines.join("; ")}`);
  }
  const e = parsed.data;
  return {
    botToken: e.BOT_TOKEN,
    sandbox,
    databaseUrl: e.DATABASE_URL,
    databaseCa: e.DATABASE_CA_FILE ? readCaFile(e.DATABASE_CA_FILE, readFile) : undefined,
    databaseWaitSeconds: e.DATABASE_WAIT_SECONDS,
    telegramApiRoot: e.TELEGRAM_API_ROOT,
    botMode: e.BOT_MODE,
    publicUrl: e.PUBLIC_URL,
    webhookSecret: e.WEBHOOK_SECRET,
    host: e.HOST,
    port: e.PORT,
    adminIds: new Set(e.ADMIN_IDS),
    redisUrl: e.REDIS_URL,
    dataDir: e.DATA_DIR,
    logLevel: e.LOG_LEVEL,
    production: e.NODE_ENV === "production",
    encryptionKeys: e.ENCRYPTION_KEYS,
    hashSecret: e.HASH_SECRET,
    retention: {
      defaultDays: e.RETENTION_DAYS,
      minDays: e.RETENTION_MIN_DAYS,
      maxDays: e.RETENTION_MAX_DAYS,
    },
    purgeIntervalMinutes: e.PURGE_INTERVAL_MINUTES,
    purgeBatchSize: e.PURGE_BATCH_SIZE,
    auditRetentionDays: e.AUDIT_RETENTION_DAYS,
    initDataMaxAgeSeconds: e.INIT_DATA_MAX_AGE,
    corsOrigins:
      e.CORS_ORIGINS ??
      (e.PUBLIC_URL ? [originOf(e.PUBLIC_URL)].filter((o) => o !== undefined) : []),
    apiRateLimitPerMinute: e.API_RATE_LIMIT_PER_MINUTE,
    apiAuthFailuresPerMinute: e.API_AUTH_FAILURES_PER_MINUTE,
    trustProxy: e.TRUST_PROXY,
    metricsToken: e.METRICS_TOKEN,
  };
}

/**
 * The environment with each secret's `*_FILE` replaced by the file's content (without the
 * trailing newline editors leave). Every reader of the environment goes through it, before
 * validation, so a secret the schema does not know yet resolves the same way.
 */
export function resolveSecretFiles(
  env: Record<string, string | undefined>,
  readFile: (path: string) => string = (path) => readFileSync(path, "utf8"),
): Record<string, string | undefined> {
  const resolved = { ...env };
  for (const name of FILE_VARIABLES) {
    const path = env[`${name}_FILE`];
    if (path === undefined) continue;
    if (env[name] !== undefined) {
      throw new ConfigError(`Invalid configuration: set ${name} or ${name}_FILE, not both`);
    }
    resolved[name] = readOrThrow(`${name}_FILE`, path, readFile).replace(/\r?\n$/, "");
    delete resolved[`${name}_FILE`];
  }
  return resolved;
}

function readCaFile(path: string, readFile: (path: string) => string): string {
  const pem = readOrThrow("DATABASE_CA_FILE", path, readFile);
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
    throw new ConfigError(
      `Invalid configuration: DATABASE_CA_FILE is not a PEM certificate (${path})`,
    );
  }
  return pem;
}

/** A file named by a variable; failing, one line with the variable, the path and why (never the content). */
function readOrThrow(variable: string, path: string, readFile: (path: string) => string): string {
  try {
    return readFile(path);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const why = typeof code === "string" ? `: ${code}` : "";
    throw new ConfigError(`Invalid configuration: ${variable} cannot be read (${path}${why})`);
  }
}

/**
 * For entry points: reads `.env` when present, then the environment; a bad value ends the
 * process with the one-line reason on stderr.
 */
export function loadConfigOrExit(options: ConfigOptions = {}): Config {
  if (existsSync(".env")) process.loadEnvFile(".env");
  try {
    return loadConfig(process.env, undefined, options);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
