import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
/** The 20 kB gzip budget for the JS that runs before the first screen (issue #16). */
export const INITIAL_JS_BUDGET = 20 * 1024;

/**
 * Builds the Mini App as `npm run build` ships it into `outDir`. In a child process: vitest
 * sets NODE_ENV=test, and vite builds development code (Preact's debug build, 36 kB gzip
 * instead of 20) whenever NODE_ENV says so.
 */
export async function buildMiniApp(outDir: string): Promise<void> {
  const require = createRequire(import.meta.url);
  const vite = join(dirname(require.resolve("vite/package.json")), "bin", "vite.js");
  await promisify(execFile)(
    process.execPath,
    [vite, "build", "--outDir", outDir, "--emptyOutDir", "--logLevel", "warn"],
    { cwd: REPO, env: { ...process.env, NODE_ENV: "production" } },
  );
}

interface ManifestChunk {
  file: string;
  isEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
}

export interface ChunkSize {
  file: string;
  bytes: number;
  /** gzip at level 9, as vite reports it. */
  gzipBytes: number;
}

/**
 * What a browser must fetch before the app runs, from the build manifest: the entry chunk
 * and its static imports, transitively. Screens loaded with import() are not in it.
 */
export function initialJs(dist: string): ChunkSize[] {
  const manifest = readManifest(dist);
  const entries = Object.keys(manifest).filter((key) => manifest[key]?.isEntry);
  const seen = new Set<string>();
  const visit = (key: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    for (const imported of manifest[key]?.imports ?? []) visit(imported);
  };
  entries.forEach(visit);
  return [...seen].map((key) => chunkSize(dist, manifest[key]?.file ?? key));
}

/** Every JS chunk of the build, loaded at start or later. */
export function allJs(dist: string): ChunkSize[] {
  return Object.values(readManifest(dist)).map((chunk) => chunkSize(dist, chunk.file));
}

function readManifest(dist: string): Record<string, ManifestChunk> {
  return JSON.parse(readFileSync(join(dist, ".vite", "manifest.json"), "utf8"));
}

function chunkSize(dist: string, file: string): ChunkSize {
  const bytes = readFileSync(join(dist, file));
  return { file, bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
}
