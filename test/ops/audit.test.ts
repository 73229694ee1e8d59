import { execFile, execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

/**
 * `npm run audit` against what npm prints, through an `npm` on PATH that answers like the
 * real one would (the tests ask no registry).
 */
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function audit(
  npmAnswer: unknown,
  npmStatus: number,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), "tt-audit-"));
  dirs.push(dir);
  writeFileSync(join(dir, "answer.json"), JSON.stringify(npmAnswer));
  writeFileSync(
    join(dir, "npm"),
    `#!/bin/sh\n[ "$*" = "audit --omit=dev --json" ] || { echo "unexpected: $*" >&2; exit 99; }\ncat "${join(dir, "answer.json")}"\nexit ${npmStatus}\n`,
  );
  chmodSync(join(dir, "npm"), 0o755);
  return promisify(execFile)(process.execPath, ["--import", "tsx", "scripts/audit.ts"], {
    env: { PATH: `${dir}:${process.env.PATH ?? ""}` },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      stdout: error.stdout,
      stderr: error.stderr,
    }),
  );
}

const metadata = (total: number) => ({
  vulnerabilities: { info: 0, low: 0, moderate: 0, high: total, critical: 0, total },
  dependencies: { prod: 61, dev: 0, optional: 0, peer: 0, peerOptional: 0, total: 61 },
});

describe("npm run audit", () => {
  it("says plainly that nothing was checked when the registry refuses the advisory endpoint (status 3)", async () => {
    // What this machine's registry answers, as npm 10 prints it.
    const refused = {
      message:
        "405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk",
      method: "POST",
      uri: "https://registry.npmjs.org/-/npm/v1/security/advisories/bulk",
      statusCode: 405,
      body: "",
      error: { summary: "", detail: "" },
    };
    expect(await audit(refused, 1)).toEqual({
      code: 3,
      stdout: "",
      stderr:
        "npm audit could not ask the registry for advisories, so nothing was checked: 405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk\n",
    });
  }, 30_000);

  it("leaves a private registry's credentials out of the line", async () => {
    const refused = {
      error: {
        code: "ENOAUDIT",
        summary:
          "Your configured registry (https://me:s3cret@npm.example.org/) does not support audit requests.",
      },
    };
    const result = await audit(refused, 1);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(
      "nothing was checked: Your configured registry (https://npm.example.org/) does not support audit requests.\n",
    );
    expect(result.stderr).not.toContain("s3cret");
  }, 30_000);

  it("lists the vulnerabilities found (status 1)", async () => {
    const found = {
      auditReportVersion: 2,
      vulnerabilities: {
        hono: {
          name: "hono",
          severity: "high",
          isDirect: true,
          via: [
            { source: 1, name: "hono", title: "Path traversal in serveStatic", severity: "high" },
          ],
          effects: [],
          range: "<4.13.20",
          nodes: ["node_modules/hono"],
          fixAvailable: true,
        },
      },
      metadata: metadata(1),
    };
    expect(await audit(found, 1)).toEqual({
      code: 1,
      stdout:
        "1 known vulnerabilities in the runtime packages:\n" +
        "  hono (high, direct): Path traversal in serveStatic; a fix is available (npm audit fix)\n",
      stderr: "",
    });
  }, 30_000);

  it("says so when the registry answered and found nothing (status 0)", async () => {
    const clean = { auditReportVersion: 2, vulnerabilities: {}, metadata: metadata(0) };
    expect(await audit(clean, 0)).toEqual({
      code: 0,
      stdout: "No known vulnerabilities in the runtime packages (61) (npm audit --omit=dev).\n",
      stderr: "",
    });
  }, 30_000);
});

describe("the runtime dependencies", () => {
  it("are each imported by the service (bot/, db/); what only builds, tests or measures is a devDependency", () => {
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as {
      dependencies: Record<string, string>;
    };
    const sources = execFileSync("git", ["ls-files", "bot", "db", "Dockerfile"], {
      encoding: "utf8",
    })
      .split("\n")
      .filter((path) => /\.(ts|tsx)$|^Dockerfile$/.test(path))
      .map((path) => readFileSync(path, "utf8"))
      .join("\n");
    const unused = Object.keys(pkg.dependencies).filter(
      (name) =>
        !sources.includes(`from "${name}"`) &&
        !sources.includes(`from "${name}/`) &&
        !sources.includes(`import("${name}")`) &&
        // The Dockerfile's start command loads tsx until the image runs compiled JavaScript.
        !sources.includes(`"--import", "${name}"`),
    );
    expect(unused).toEqual([]);
  });
});
