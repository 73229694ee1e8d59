import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "vite";
import { allJs, type ChunkSize, INITIAL_JS_BUDGET, initialJs } from "#test/helpers/miniapp-build";

/**
 * What the Mini App's first screen downloads, and what @telegram-apps/sdk costs in it:
 * the app built as shipped, against the same app built in the same run with the SDK left
 * out of the bundle (external), from the build manifests. Sizes are gzip at level 9, as
 * vite reports them. Run with `npm run bench:bundle`; writes only to temporary folders.
 */

// Vite builds development code whenever NODE_ENV says so.
process.env.NODE_ENV = "production";
const VITE_CONFIG = fileURLToPath(new URL("../../vite.config.ts", import.meta.url));

async function buildInto(dir: string, withoutSdk: boolean): Promise<void> {
  await build({
    configFile: VITE_CONFIG,
    logLevel: "warn",
    build: {
      outDir: dir,
      emptyOutDir: true,
      ...(withoutSdk
        ? { rollupOptions: { external: (id: string) => id.startsWith("@telegram-apps/") } }
        : {}),
    },
  });
}

const sum = (chunks: ChunkSize[], key: "bytes" | "gzipBytes") =>
  chunks.reduce((total, chunk) => total + chunk[key], 0);
const fmt = (n: number) => n.toLocaleString("en-US");

const root = await mkdtemp(join(tmpdir(), "bench-bundle-"));
try {
  const shipped = join(root, "shipped");
  const withoutSdk = join(root, "without-sdk");
  await buildInto(shipped, false);
  await buildInto(withoutSdk, true);

  const initial = initialJs(shipped);
  const initialFiles = new Set(initial.map((chunk) => chunk.file));
  const later = allJs(shipped).filter((chunk) => !initialFiles.has(chunk.file));
  const baseline = initialJs(withoutSdk);
  const gzip = sum(initial, "gzipBytes");
  const baselineGzip = sum(baseline, "gzipBytes");

  console.log(
    `load average ${loadavg()
      .map((n) => n.toFixed(2))
      .join(" ")}`,
  );
  console.log(
    `initial JS (entry + static imports): ${fmt(sum(initial, "bytes"))} B, ` +
      `${fmt(gzip)} B gzip (budget ${fmt(INITIAL_JS_BUDGET)}: ${gzip <= INITIAL_JS_BUDGET ? "✓" : "✗"})`,
  );
  for (const chunk of initial) {
    console.log(`  ${chunk.file}  ${fmt(chunk.bytes)} B, ${fmt(chunk.gzipBytes)} B gzip`);
  }
  console.log("loaded after the first screen:");
  for (const chunk of later) {
    console.log(`  ${chunk.file}  ${fmt(chunk.bytes)} B, ${fmt(chunk.gzipBytes)} B gzip`);
  }
  console.log(
    `baseline, same run: the same app without @telegram-apps/sdk: ${fmt(sum(baseline, "bytes"))} B, ` +
      `${fmt(baselineGzip)} B gzip`,
  );
  console.log(
    `the SDK's pieces cost ${fmt(sum(initial, "bytes") - sum(baseline, "bytes"))} B, ` +
      `${fmt(gzip - baselineGzip)} B gzip: ${((gzip / baselineGzip - 1) * 100).toFixed(0)} % on top of the app`,
  );
} finally {
  await rm(root, { recursive: true, force: true });
}
