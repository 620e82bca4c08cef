// One side of a benchmark in its own Node process (the server's side), so the peak RSS it reports is
// the server's alone, apart from the load generator, the fakes and the data generation of the benchmark.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { nodeFlags } from "../src/config/node-flags.ts";

/** Peak resident memory of this process so far, in MiB (the kernel's VmHWM). */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/**
 * Runs `script` (a module calling `serveBenchSide`) with the same V8 flags as the server, handing it
 * `input` as JSON; resolves to what it returned and its peak RSS. Its stderr is the benchmark's.
 */
export function runBenchSide<T>(script: URL, input: unknown): Promise<{ result: T; peakRssMiB: number }> {
  const child = spawn(process.execPath, [...nodeFlags, fileURLToPath(script), JSON.stringify(input)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let result: { value: T } | null = null;
  let peak = Number.NaN;
  createInterface({ input: child.stdout }).on("line", (line) => {
    if (line.startsWith("result ")) result = { value: JSON.parse(line.slice("result ".length)) as T };
    else if (line.startsWith("rss ")) peak = Number(line.slice("rss ".length));
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => {
      if (code === 0 && result) resolve({ result: result.value, peakRssMiB: peak });
      else reject(new Error(`${fileURLToPath(script)} exited with ${code ?? signal} and no result`));
    });
  });
}

/** The child's side: runs `side` on the parent's input, then prints its result and peak RSS and exits. */
export function serveBenchSide<I, T>(side: (input: I) => Promise<T>): void {
  const input = JSON.parse(process.argv[2] ?? "null") as I;
  side(input).then(
    (value) => {
      process.stdout.write(`result ${JSON.stringify(value)}\nrss ${peakRssMiB().toFixed(0)}\n`, () =>
        process.exit(0),
      );
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
