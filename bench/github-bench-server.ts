// The GitHub benchmark's server: a child process running the real runtime, so load generator and server do not share a CPU loop.
import { prepareModuleLoading } from "../src/server/module-loading.ts";

/** argv: JSON of environment variables, then "worker" or "http-only". Prints `listening <port>`; on SIGTERM stops and prints `rss <MiB>`. */
async function main(argv: string[]): Promise<void> {
  const [envJson, mode] = argv;
  if (!envJson || (mode !== "worker" && mode !== "http-only")) {
    throw new Error("usage: github-bench-server.ts <env json> worker|http-only");
  }
  // As `terragate serve` does: module loading prepared first (compile cache, drizzle shortcut), then the application.
  prepareModuleLoading();
  const { loadConfig } = await import("../src/config/env.ts");
  const { createLogger } = await import("../src/logging/logger.ts");
  const { startRuntime } = await import("../src/server/runtime.ts");
  const config = loadConfig(JSON.parse(envJson) as Record<string, string>);
  const runtime = await startRuntime({
    config,
    logger: createLogger(config),
    http: true,
    worker: mode === "worker",
  });
  process.stdout.write(`listening ${runtime.port}\n`);
  process.once("SIGTERM", () => {
    void runtime.stop().then(() => {
      process.stdout.write(`rss ${(process.resourceUsage().maxRSS / 1024).toFixed(0)}\n`);
      process.exit(0);
    });
  });
}

if (import.meta.main) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
