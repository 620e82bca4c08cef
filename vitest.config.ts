// Vitest: unit tests (src/, action/, docs checks) run without a database; test/ gets one PostgreSQL server per run.
import { configDefaults, defineConfig } from "vitest/config";

/** Tests under test/ that need no database, so `vitest run --project unit` never starts one. */
const unitTests = ["src/**/*.test.ts", "action/**/*.test.ts", "test/docs/**/*.test.ts"];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: "forks",
    maxWorkers: 2,
    // Test files share their worker's module cache instead of re-importing the app in a fresh process each:
    // that import was about 40% of the suite's CPU. Test files keep their own state all the same: each builds
    // its beds, databases and servers in beforeAll and closes them in afterAll, and no module holds a cache
    // that another file's data could reach (process-wide state lives in objects the beds create).
    isolate: false,
    // …and what a file fakes process-wide (timers, environment, globals, spies) is undone when it ends.
    setupFiles: ["./test/harness/file-isolation.ts"],
    projects: [
      { extends: true, test: { name: "unit", include: unitTests } },
      {
        extends: true,
        test: {
          name: "db",
          include: ["test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, "test/docs/**"],
          // The PostgreSQL server and the migrated template database, only for the tests that use them.
          globalSetup: ["./test/harness/global-setup.ts"],
        },
      },
    ],
  },
});
