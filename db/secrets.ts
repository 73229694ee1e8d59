import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";

/** The keys behind the vault (db/vault.ts): sealing at rest and keyed hashes. */
export interface Secrets {
  /** The first key seals, every key opens. */
  encryptionKeys: Buffer[];
  /** Keys the hashes of user ids and the username index. */
  hashSecret: Buffer;
}

const DEV_FILE = "dev-secrets.json";

const devFileSchema = z.object({
  encryptionKey: z.base64().refine((text) => Buffer.from(text, "base64").length === 32),
  hashSecret: z.base64().refine((text) => Buffer.from(text, "base64").length === 32),
});

/**
 * The configured secrets, or outside production a development pair generated once into
 * DATA_DIR (so data written in one run can be read in the next). `warn` is called at every
 * start that uses the development pair. Production never gets here without both
 * (loadConfig refuses to start).
 */
export async function resolveSecrets(
  config: {
    encryptionKeys: Buffer[] | undefined;
    hashSecret: Buffer | undefined;
    dataDir: string;
    production: boolean;
  },
  warn: (message: string) => void,
): Promise<Secrets> {
  if (config.encryptionKeys && config.hashSecret) {
    return { encryptionKeys: config.encryptionKeys, hashSecret: config.hashSecret };
  }
  if (config.production) {
    throw new Error("ENCRYPTION_KEYS and HASH_SECRET are required when NODE_ENV=production.");
  }
  const path = join(config.dataDir, DEV_FILE);
  const dev = await readOrCreateDevFile(path);
  warn(
    `Using the development encryption secrets in ${path}. Set ENCRYPTION_KEYS and HASH_SECRET (openssl rand -base64 32) before real use.`,
  );
  return {
    encryptionKeys: config.encryptionKeys ?? [Buffer.from(dev.encryptionKey, "base64")],
    hashSecret: config.hashSecret ?? Buffer.from(dev.hashSecret, "base64"),
  };
}

async function readOrCreateDevFile(path: string): Promise<z.infer<typeof devFileSchema>> {
  let text: string | undefined;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  if (text !== undefined) return parseDevFile(path, text);
  const created = {
    encryptionKey: randomBytes(32).toString("base64"),
    hashSecret: randomBytes(32).toString("base64"),
  };
  await mkdir(join(path, ".."), { recursive: true });
  // "wx": two processes starting at once must not both write a different key.
  await writeFile(path, `${JSON.stringify(created, null, 2)}\n`, { mode: 0o600, flag: "wx" }).catch(
    async (error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST") throw error;
    },
  );
  return parseDevFile(path, await readFile(path, "utf8"));
}

function parseDevFile(path: string, text: string): z.infer<typeof devFileSchema> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = devFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(
      `${path} is damaged: restore it, or delete it to start over (data sealed with it becomes unreadable).`,
    );
  }
  return parsed.data;
}
