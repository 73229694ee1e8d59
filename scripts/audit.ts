import { spawnSync } from "node:child_process";
import { z } from "zod";

/**
 * `npm run audit`: `npm audit --omit=dev` (the packages the service runs with), saying plainly
 * which of three things happened, also in the exit status:
 *   0  the registry answered: no known vulnerability
 *   1  the registry answered: vulnerabilities (listed)
 *   3  the registry could not be asked (some mirrors refuse npm's advisory endpoint): nothing
 *      was checked, which must not pass for "no vulnerability"
 */
const CLEAN = 0;
const FOUND = 1;
const NOT_ASKED = 3;

const report = z.object({
  vulnerabilities: z.record(
    z.string(),
    z.object({
      severity: z.string(),
      isDirect: z.boolean().optional(),
      via: z.array(z.union([z.string(), z.object({ title: z.string().optional() })])),
      fixAvailable: z.unknown(),
    }),
  ),
  metadata: z.object({
    vulnerabilities: z.object({ total: z.number() }),
    dependencies: z.object({ prod: z.number().optional() }).optional(),
  }),
});

const failure = z.object({
  statusCode: z.number().optional(),
  message: z.string().optional(),
  error: z.object({ code: z.string().nullish(), summary: z.string().nullish() }).optional(),
});

const run = spawnSync("npm", ["audit", "--omit=dev", "--json"], {
  encoding: "utf8",
  maxBuffer: 64 * 1024 * 1024,
});
if (run.error)
  notAsked(`npm did not run (${(run.error as NodeJS.ErrnoException).code ?? "error"})`);

const parsed = parseJson(run.stdout);
const answered = report.safeParse(parsed);
if (!answered.success) notAsked(whyNot(parsed, run.stderr));

const { vulnerabilities, metadata } = answered.data;
const packages = metadata.dependencies?.prod;
if (metadata.vulnerabilities.total === 0) {
  process.stdout.write(
    `No known vulnerabilities in the runtime packages${packages ? ` (${packages})` : ""} (npm audit --omit=dev).\n`,
  );
  process.exit(CLEAN);
}
const lines = Object.entries(vulnerabilities).map(([name, found]) => {
  const titles = found.via.map((via) => (typeof via === "string" ? `through ${via}` : via.title));
  const fix = found.fixAvailable ? "a fix is available (npm audit fix)" : "no fix yet";
  return `  ${name} (${found.severity}${found.isDirect ? ", direct" : ""}): ${[...new Set(titles)].join("; ")}; ${fix}`;
});
process.stdout.write(
  `${metadata.vulnerabilities.total} known vulnerabilities in the runtime packages:\n${lines.join("\n")}\n`,
);
process.exit(FOUND);

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The registry's refusal in a few words; a URL's credentials, if any, left out. */
function whyNot(output: unknown, stderr: string): string {
  const known = failure.safeParse(output);
  const said = known.success
    ? [known.data.message, known.data.error?.summary, known.data.error?.code].find(Boolean)
    : stderr.split("\n").find((line) => line.startsWith("npm error"));
  const reason = (said ?? "no answer npm could read").split("\n")[0] ?? "";
  return reason.replace(/\/\/[^/@\s]+@/g, "//");
}

function notAsked(reason: string): never {
  process.stderr.write(
    `npm audit could not ask the registry for advisories, so nothing was checked: ${reason}\n`,
  );
  process.exit(NOT_ASKED);
}
