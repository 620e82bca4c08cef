// Vitest global setup: one PostgreSQL server for the whole run (TEST_DATABASE_URL, else an embedded one in a temp dir).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "../../src/db/embedded.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** Superuser URL of the server on which each test file creates its own database. */
    testDatabaseServerUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The test run's entry point: the only place tests look at the environment.
  const external = process.env["TEST_DATABASE_URL"]?.trim();
  if (external) {
    project.provide("testDatabaseServerUrl", external);
    return async () => {};
  }
  const directory = await mkdtemp(join(tmpdir(), "terragate-test-pg-"));
  const recent: string[] = [];
  try {
    const server = await startEmbeddedPostgres({
      directory: join(directory, "cluster"),
      ephemeral: true,
      onLog: (line) => {
        recent.push(line);
        if (recent.length > 50) recent.shift();
      },
    });
    project.provide("testDatabaseServerUrl", server.url);
    return async () => {
      await server.stop();
      await rm(directory, { recursive: true, force: true });
    };
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw new Error(
      `Could not start the embedded PostgreSQL for the tests; set TEST_DATABASE_URL to use an existing server.\n${recent.join("\n")}`,
      { cause: error },
    );
  }
}
