import { readFile, rm } from "node:fs/promises";
import { basename, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

/**
 * The service as ES modules, `dist/main.js` (and `dist/keys-rotate.js` for `npm run
 * keys:rotate` in the image), run by plain `node` (the image runs it; no tsx at run time). Packages stay external (node_modules beside it); `#bot/*` and `#db/*`
 * are resolved now. Files read at run time (db/migrations, miniapp/dist) are found from the
 * project root, the folder that holds dist/, exactly where they are in the repository.
 *
 *   npm run build:server                 # ./dist/main.js
 *   npm run build:server -- /tmp/x/dist  # elsewhere: the root is then /tmp/x
 */

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/**
 * Each module that reads a file relative to itself (`new URL("./migrations/", import.meta.url)`)
 * is given the address it has in the repository, measured from the bundle's parent folder, so
 * `<root>/dist/main.js` finds `<root>/db/migrations/`.
 */
function sourceAddresses(): Plugin {
  return {
    name: "source-addresses",
    setup(builder) {
      builder.onLoad({ filter: /\.ts$/ }, async (args) => {
        const text = await readFile(args.path, "utf8");
        if (!text.includes("import.meta.url")) return { contents: text, loader: "ts" };
        const fromRoot = relative(ROOT, args.path).split("\\").join("/");
        const address = `new URL(${JSON.stringify(`../${fromRoot}`)}, import.meta.url).href`;
        return { contents: text.replaceAll("import.meta.url", address), loader: "ts" };
      });
    },
  };
}

/** Each entry point becomes `dist/<name>.js`; code they share goes to `dist/chunk-*.js`. */
const ENTRY_POINTS = {
  main: join(ROOT, "bot/main.ts"),
  "keys-rotate": join(ROOT, "scripts/keys-rotate.ts"),
};

/** Builds into `outDir` (default `<repo>/dist`) and returns the path of its main.js. */
export async function buildServer(outDir = join(ROOT, "dist")): Promise<string> {
  const outdir = resolve(outDir);
  // Chunk names carry hashes: an old build's chunks would stay beside the new ones.
  if (basename(outdir) === "dist") await rm(outdir, { recursive: true, force: true });
  await build({
    entryPoints: ENTRY_POINTS,
    outdir,
    bundle: true,
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node20.12",
    packages: "external",
    sourcemap: true,
    sourcesContent: false,
    legalComments: "none",
    logLevel: "warning",
    plugins: [sourceAddresses()],
  });
  return join(outdir, "main.js");
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outfile = await buildServer(process.argv[2]);
  console.log(`built ${relative(process.cwd(), outfile) || outfile}`);
}
