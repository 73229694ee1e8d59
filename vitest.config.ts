import preact from "@preact/preset-vite";
import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [preact()],
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    // Real processes behind nginx for minutes: `npm run test:cluster` (vitest.cluster.config.ts).
    exclude: [...configDefaults.exclude, "test/cluster/**"],
    globalSetup: ["test/helpers/global-setup.ts"],
    // The wall clock runs a year ahead of the harness clock, so a test that reads the real
    // date fails today rather than some later day (see the file).
    setupFiles: ["test/helpers/wall-clock.ts"],
    pool: "forks",
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
