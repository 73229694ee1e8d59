import { defineConfig } from "vitest/config";

/**
 * `npm run test:cluster`: the several-instances test (test/cluster/), apart from `npm test`
 * because it runs real processes behind nginx for two minutes or more (its scheduled purge
 * needs a minute of uptime). The same global setup (the test database template) and clock.
 */
export default defineConfig({
  test: {
    include: ["test/cluster/**/*.test.ts"],
    globalSetup: ["test/helpers/global-setup.ts"],
    setupFiles: ["test/helpers/wall-clock.ts"],
    pool: "forks",
    testTimeout: 240_000,
    hookTimeout: 480_000,
  },
});
