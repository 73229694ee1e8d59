import { execFile, execFileSync } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * docker-compose.yml as Compose reads it (`config` needs no Docker daemon): what it would
 * start, and that it refuses to start without each password and the domain. .ci/run installs
 * Debian's docker-compose when the Docker CLI has no compose plugin.
 */

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const COMPLETE = {
  DOMAIN: "tasks.example.org",
  POSTGRES_PASSWORD: "pg-pass",
  REDIS_PASSWORD: "rd",
};

function composeCommand(): string[] {
  for (const command of [["docker", "compose"], ["docker-compose"]]) {
    try {
      const [file, ...args] = command as [string, ...string[]];
      execFileSync(file, [...args, "version"], { stdio: "ignore" });
      return command;
    } catch {}
  }
  throw new Error("neither `docker compose` nor `docker-compose` runs here (.ci/run installs it)");
}

let dir: string;
let command: string[];

beforeAll(async () => {
  command = composeCommand();
  dir = await mkdtemp(join(tmpdir(), "task-tracker-compose-"));
  await cp(join(REPO, "docker-compose.yml"), join(dir, "docker-compose.yml"));
  await cp(join(REPO, "deploy"), join(dir, "deploy"), { recursive: true });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `compose config` with exactly these lines in .env and nothing from this process's environment. */
async function config(env: Record<string, string>): Promise<{ code: number; output: string }> {
  const lines = Object.entries(env).map(([name, value]) => `${name}=${value}\n`);
  await writeFile(join(dir, ".env"), lines.join(""));
  const [file, ...args] = command as [string, ...string[]];
  try {
    const { stdout } = await promisify(execFile)(file, [...args, "config"], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "", HOME: dir },
    });
    return { code: 0, output: stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: `${failed.stdout}${failed.stderr}` };
  }
}

describe("docker-compose.yml", () => {
  it("starts Caddy, two instances, PostgreSQL and Redis, publishing only Caddy's ports", async () => {
    const { code, output } = await config(COMPLETE);
    expect(code, output).toBe(0);
    for (const service of ["caddy", "app1", "app2", "postgres", "redis"]) {
      expect(output).toMatch(new RegExp(`^  ${service}:$`, "m"));
    }
    const published = [...output.matchAll(/published: "?(\d+)"?/g)].map((match) => match[1]);
    expect(published.sort()).toEqual(["443", "443", "80"]);
    expect(output).toContain(
      "DATABASE_URL: postgres://tasks:pg-pass@postgres:5432/tasks?sslmode=require",
    );
    expect(output).toContain("REDIS_URL: redis://:rd@redis:6379");
    expect(output).toContain("PUBLIC_URL: https://tasks.example.org");
    for (const secret of ["BOT_TOKEN", "WEBHOOK_SECRET", "ENCRYPTION_KEYS", "HASH_SECRET"]) {
      expect(output).toContain(`${secret}_FILE: /run/secrets/${secret.toLowerCase()}`);
    }
  });

  it.each(Object.keys(COMPLETE))("refuses to start without %s", async (name) => {
    const { [name as keyof typeof COMPLETE]: _left, ...rest } = COMPLETE;
    const { code, output } = await config(rest);
    expect(code).not.toBe(0);
    expect(output).toContain(`set ${name} in .env`);
  });

  it("has no default for any password or secret", async () => {
    const text = await readFile(join(REPO, "docker-compose.yml"), "utf8");
    const defaults = [...text.matchAll(/\$\{([A-Z_]+):?-[^}]*\}/g)].map((match) => match[1]);
    expect(defaults).toEqual([]);
  });
});
