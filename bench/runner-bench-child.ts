// The runner benchmark's child: runs one work manifest the way `terragate run` does, then reports its own peak memory.
import { readFile } from "node:fs/promises";
import { prepareModuleLoading } from "../src/server/module-loading.ts";

/** Prints one JSON line: bytes sent, failed dirspaces, and this process's peak RSS (terraform runs in its own processes). */
async function main(env: Record<string, string | undefined>): Promise<void> {
  // As `terragate run` does: module loading prepared first, then the runner.
  prepareModuleLoading();
  const { loadRunnerConfig } = await import("../src/config/env.ts");
  const { runnerCredentials } = await import("../src/runner/credentials.ts");
  const { runManifest } = await import("../src/runner/run-manifest.ts");
  const config = loadRunnerConfig(env);
  const outcome = await runManifest({
    apiUrl: config.apiUrl,
    vcs: config.vcs,
    manifestId: config.workManifestId,
    credentials: runnerCredentials(config),
    runId: "bench",
    repoRoot: process.cwd(),
    env: config.processEnv,
    log: { info: () => {}, dirspace: () => {} },
  });
  const status = await readFile("/proc/self/status", "utf8");
  const peakKiB = Number(/^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? Number.NaN);
  process.stdout.write(
    `${JSON.stringify({
      bytesSent: outcome.bytesSent,
      failed: outcome.type === "ran" ? outcome.failed : [],
      peakRssMiB: peakKiB / 1024,
    })}\n`,
  );
}

if (import.meta.main) {
  main(process.env).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
