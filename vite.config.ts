import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

/**
 * The Mini App: built into miniapp/dist, which the service serves at /. The test suite builds
 * it into a temporary folder instead (test/helpers/global-setup.ts).
 */
export default defineConfig({
  root: "miniapp",
  plugins: [preact()],
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
    },
  },
});
