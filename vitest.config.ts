// Vitest: unit tests beside the code (src/**/*.test.ts), integration and end-to-end tests in test/.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts", "action/**/*.test.ts"],
    globalSetup: ["./test/harness/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
