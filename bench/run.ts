// Benchmark runner: runs each listed bench/<name>.bench.ts in its own Node process (`npm run bench -- <name>…` picks some).
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { nodeFlags, withCompileCache } from "../src/config/node-flags.ts";

/** Every benchmark, by the name in bench/<name>.bench.ts. Add yours here. */
const benchmarks: string[] = [
  "foundation",
  "domain",
  "api",
  "runner",
  "github",
  "stacks",
  "recovery",
  "gitlab",
  "background",
  "dashboard",
  "drift",
];

const self = fileURLToPath(import.meta.url);

async function runChild(name: string): Promise<void> {
  const module = (await import(`./${name}.bench.ts`)) as { run: () => Promise<void> };
  const started = performance.now();
  await module.run();
  const seconds = (performance.now() - started) / 1000;
  // maxRSS is in kibibytes: the process's peak resident memory over the whole benchmark.
  const peakMiB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(
    `[${name}] done in ${seconds.toFixed(1)} s, runner process peak RSS ${peakMiB.toFixed(0)} MiB\n`,
  );
}

function runInChildProcess(name: string): Promise<number> {
  return new Promise((resolve) => {
    // Every process the benchmark starts inherits the compile cache: its servers load as `npm start` does.
    const child = spawn(process.execPath, [...nodeFlags, self, "--child", name], {
      stdio: "inherit",
      env: withCompileCache(process.env),
    });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function main(args: string[]): Promise<number> {
  if (args[0] === "--child" && args[1] !== undefined) {
    await runChild(args[1]);
    return 0;
  }
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(`Usage: npm run bench [-- <name>…]\n\nBenchmarks: ${benchmarks.join(", ")}\n`);
    return 0;
  }
  const unknown = args.filter((name) => !benchmarks.includes(name));
  if (unknown.length > 0) {
    process.stderr.write(
      `bench: unknown benchmark ${unknown.join(", ")}; available: ${benchmarks.join(", ")}\n`,
    );
    return 2;
  }
  const selected = args.length > 0 ? args : benchmarks;
  const failed: string[] = [];
  for (const name of selected) {
    process.stdout.write(`\n=== ${name} ===\n`);
    if ((await runInChildProcess(name)) !== 0) failed.push(name);
  }
  if (failed.length > 0) {
    process.stderr.write(`bench: failed: ${failed.join(", ")}\n`);
    return 1;
  }
  return 0;
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(
        `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = 1;
    },
  );
}
