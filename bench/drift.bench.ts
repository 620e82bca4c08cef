// Drift benchmark: scheduling drift for 1,000 repositories × 10 dirspaces — time to create and to dispatch every
// manifest, against creating the same manifests directly; a tick with nothing due; GitHub API calls per repository.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { createDatabase } from "../src/db/client.ts";
import { startEmbeddedPostgres } from "../src/db/embedded.ts";
import { migrate } from "../src/db/migrate.ts";
import { workflowSnippet } from "../src/vcs/github/workflow-snippet.ts";
import { seedDriftRepositories } from "../test/drift/drift-seed.ts";
import { startFakeGithub } from "../test/fakes/github/server.ts";
import { peakRssMiB, runBenchSide } from "./bench-process.ts";
import type { DriftServerInput, DriftServerResult } from "./drift-bench-server.ts";
import { describe } from "./github.bench.ts";

const REPOSITORIES = Number(process.env["TERRAGATE_BENCH_DRIFT_REPOSITORIES"] ?? 1_000);
const DIRSPACES = 10;
const IDLE_TICKS = 20;

const drift = {
  enabled: true,
  reconcile: false,
  schedules: { nightly: { cron: "0 3 * * *", tag_query: "prod" } },
};

async function measure(databaseUrl: string): Promise<void> {
  const github = await startFakeGithub();
  const database = createDatabase(databaseUrl, { max: 4 });
  try {
    // Baseline repositories (another installation), and the ones the scheduler serves.
    const base = await seedDriftRepositories(database.db, {
      count: REPOSITORIES,
      dirspaces: DIRSPACES,
      drift: { ...drift, enabled: false },
      externalId: "4241",
      owner: "baseline",
    });
    await seedDriftRepositories(database.db, {
      count: REPOSITORIES,
      dirspaces: DIRSPACES,
      drift,
      externalId: "4242",
    });
    for (let index = 0; index < REPOSITORIES; index++) {
      github.state.addRepo({ owner: "acme", name: `infra-${index}`, installationId: 4242 });
      github.state.commit(`acme/infra-${index}`, "main", {
        ".github/workflows/terragate.yml": workflowSnippet(),
      });
    }
    const requestsBefore = github.state.requests.length;
    // The server's side (scheduler, dispatch workers, and the baseline) in its own process.
    const { result, peakRssMiB: serverPeak } = await runBenchSide<DriftServerResult>(
      new URL("./drift-bench-server.ts", import.meta.url),
      {
        databaseUrl,
        githubUrl: github.url,
        baseInstallationId: base.installationId,
        baseRepositoryIds: base.repositoryIds,
        repositories: REPOSITORIES,
        dirspaces: DIRSPACES,
        idleTicks: IDLE_TICKS,
      } satisfies DriftServerInput,
    );
    const { baselineMs, createMs, idle, dispatchMs, started } = result;
    const calls = github.state.requests.length - requestsBefore;
    const dispatched = github.state.dispatches.length;

    console.log(
      `drift: ${REPOSITORIES.toLocaleString("en")} repositories × ${DIRSPACES} dirspaces, one schedule each`,
    );
    console.log(
      `  ${describe("tick with every firing already claimed (the other 1,439 minutes of a day)", idle)}`,
    );
    console.log(
      `  create ${started} drift manifests (${(started * DIRSPACES).toLocaleString("en")} dirspaces) + dispatch jobs: ${(createMs / 1000).toFixed(2)} s (${(createMs / REPOSITORIES).toFixed(2)} ms per repository); baseline (same rows, inserted directly) ${(baselineMs / 1000).toFixed(2)} s; ratio ${(createMs / baselineMs).toFixed(2)}×`,
    );
    console.log(
      `  dispatch all ${dispatched} runs (10 workers, fake GitHub): ${(dispatchMs / 1000).toFixed(2)} s (${(dispatched / (dispatchMs / 1000)).toFixed(0)} per second)`,
    );
    console.log(
      `  GitHub API calls: ${calls} in all, ${(calls / REPOSITORIES).toFixed(2)} per repository (scheduling itself makes none)`,
    );
    console.log(
      `  server process (scheduler + dispatch workers) peak RSS ${serverPeak} MiB (target < 300 MB)`,
    );
    console.log(
      `  benchmark process (fake GitHub with ${REPOSITORIES.toLocaleString("en")} repositories, seeding) peak RSS ${peakRssMiB().toFixed(0)} MiB`,
    );
  } finally {
    await database.close();
    await github.close();
  }
}

export async function run(env: Record<string, string | undefined> = process.env): Promise<void> {
  let serverUrl = env["DATABASE_URL"] ?? env["TEST_DATABASE_URL"];
  let embeddedDir: string | undefined;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!serverUrl) {
    embeddedDir = await mkdtemp(join(tmpdir(), "terragate-bench-"));
    const embedded = await startEmbeddedPostgres({ directory: join(embeddedDir, "pg"), ephemeral: true });
    serverUrl = embedded.url;
    stopEmbedded = embedded.stop;
  }
  const name = `terragate_bench_drift_${randomBytes(4).toString("hex")}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  try {
    await migrate(url.toString());
    await measure(url.toString());
  } finally {
    await admin.unsafe(`drop database if exists "${name}" with (force)`).catch(() => undefined);
    await admin.end({ timeout: 5 });
    await stopEmbedded?.();
    if (embeddedDir) await rm(embeddedDir, { recursive: true, force: true });
  }
}

if (import.meta.main) await run();
