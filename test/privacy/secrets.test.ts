import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { resolveSecrets } from "#db/secrets";

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "tt-secrets-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const unset = { encryptionKeys: undefined, hashSecret: undefined, production: false };

describe("resolveSecrets", () => {
  it("uses the configured secrets and warns about nothing", async () => {
    const warnings: string[] = [];
    const secrets = await resolveSecrets(
      {
        ...unset,
        encryptionKeys: [Buffer.alloc(32, 1)],
        hashSecret: Buffer.alloc(32, 2),
        dataDir: tempDir(),
      },
      (message) => warnings.push(message),
    );
    expect(secrets).toEqual({
      encryptionKeys: [Buffer.alloc(32, 1)],
      hashSecret: Buffer.alloc(32, 2),
    });
    expect(warnings).toEqual([]);
  });

  it("generates a development pair once, private to the owner, and warns at every start", async () => {
    const dataDir = join(tempDir(), "nested");
    const warnings: string[] = [];
    const first = await resolveSecrets({ ...unset, dataDir }, (m) => warnings.push(m));
    const second = await resolveSecrets({ ...unset, dataDir }, (m) => warnings.push(m));

    expect(second).toEqual(first);
    expect(first.encryptionKeys[0]?.length).toBe(32);
    expect(statSync(join(dataDir, "dev-secrets.json")).mode & 0o777).toBe(0o600);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain("Set ENCRYPTION_KEYS and HASH_SECRET");
    expect(readFileSync(join(dataDir, "dev-secrets.json"), "utf8")).toContain("encryptionKey");
  });

  it("refuses to start on a damaged development file instead of making a new key", async () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, "dev-secrets.json"), "{ not json");
    await expect(resolveSecrets({ ...unset, dataDir }, () => {})).rejects.toThrow(
      /dev-secrets\.json is damaged/,
    );
  });

  it("never falls back to a development key in production", async () => {
    await expect(
      resolveSecrets({ ...unset, production: true, dataDir: tempDir() }, () => {}),
    ).rejects.toThrow("ENCRYPTION_KEYS and HASH_SECRET are required when NODE_ENV=production.");
  });
});

describe("starting the service with bad secrets", () => {
  const start = (env: Record<string, string>) =>
    promisify(execFile)(process.execPath, ["--import", "tsx", "bot/main.ts"], {
      env: {
        PATH: process.env.PATH ?? "",
        BOT_TOKEN: "123456:TEST-token-for-the-fake-api",
        ...env,
      },
    }).catch((error: { code: number; stderr: string }) => error);

  it("stops at once with one clear line for a malformed key", async () => {
    const result = await start({
      ENCRYPTION_KEYS: `${Buffer.alloc(32, 1).toString("base64")},abc`,
    });
    expect(result).toMatchObject({
      code: 1,
      stderr:
        "Invalid configuration: ENCRYPTION_KEYS key 2 is not base64 of 32 bytes (make one with: openssl rand -base64 32)\n",
    });
  }, 30_000);

  it("refuses production without keys instead of generating one", async () => {
    const result = await start({ NODE_ENV: "production", DATA_DIR: tempDir() });
    expect(result).toMatchObject({ code: 1 });
    expect((result as { stderr: string }).stderr).toContain(
      "ENCRYPTION_KEYS is required when NODE_ENV=production",
    );
  }, 30_000);
});
