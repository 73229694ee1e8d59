import { fileURLToPath } from "node:url";
import preact from "@preact/preset-vite";
import { build, defineConfig, type Plugin } from "vite";

/**
 * The Mini App: built into miniapp/dist, which the service serves at /. The test suite builds
 * it into a temporary folder instead (test/helpers/global-setup.ts).
 */
export default defineConfig({
  root: "miniapp",
  plugins: [preact(), sandboxPage()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // .vite/manifest.json: which chunks load first; a test keeps them within 20 kB gzip.
    manifest: true,
    // A module script and a stylesheet file: nothing inline for the CSP to allow.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  server: {
    proxy: {
      "/api": "http://127.0.0.1:3000",
      "/bot.json": "http://127.0.0.1:3000",
      "/privacy": "http://127.0.0.1:3000",
      "/sandbox/api": "http://127.0.0.1:3000",
      "/sandbox/files": "http://127.0.0.1:3000",
    },
  },
});

/**
 * The sandbox's page (/sandbox, issue 18), built after the Mini App into the same folder
 * (sandbox.html beside index.html). A second build rather than a second entry: two entries
 * share a chunk for Preact, which would split the Mini App's first screen into two requests
 * and 500 more bytes of gzip. The development server serves sandbox.html as it is.
 */
function sandboxPage(): Plugin {
  let root = "";
  let outDir = "";
  let mode = "production";
  return {
    name: "sandbox-page",
    apply: "build",
    configResolved(config) {
      root = config.root;
      outDir = config.build.outDir;
      mode = config.mode;
    },
    async closeBundle() {
      await build({
        configFile: false,
        root,
        mode,
        logLevel: "warn",
        plugins: [preact()],
        build: {
          outDir,
          emptyOutDir: false,
          modulePreload: { polyfill: false },
          assetsInlineLimit: 0,
          rolldownOptions: {
            input: fileURLToPath(new URL("miniapp/sandbox.html", import.meta.url)),
          },
        },
      });
    },
  };
}
