// How every long-running Terragate process starts: its V8 flags and its compile cache (npm start, the bin, the benchmarks).
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * V8 flags, read only at start-up, so they must be on the command line (a test checks npm start and
 * the bin).
 *
 * `--max-semi-space-size=16`: V8 sizes the young generation from the machine's memory (semi-spaces
 * of up to 32 MiB here) and keeps what it grew to. Start-up no longer grows it (prepareModuleLoading
 * in src/server/module-loading.ts): an idle server holds ~120 MiB with or without the flag. Under
 * request load it still does, by up to 32 MiB more for the process's life, so the flag stays.
 *
 * `--max-old-space-size=1024`: without a limit V8 takes a quarter of the machine's memory as the
 * heap's (~6 GB here), and on such a "large" heap lets the old generation grow up to 4× what the
 * last full collection kept before it collects again; with 1 GiB it grows at most ~1.6×. Under a
 * webhook backlog (HTTP only, 200 deliveries/s offered to a server that stores ~60/s on a busy
 * 2-core machine) the server peaked at 263–343 MiB with it against 341–412 MiB without. 1 GiB is
 * 4× the memory target and far above the largest body the server reads (a 64 MiB plan).
 */
export const nodeFlags = ["--max-semi-space-size=16", "--max-old-space-size=1024"] as const;

/**
 * `env` for a Node process whose entry point is a TypeScript file (a benchmark's server): Node's
 * compile cache on from the very start, in the directory bin/terragate.js's `enableCompileCache()`
 * uses, so that file too is read already stripped and Node's TypeScript stripper (~17 MB resident)
 * never loads, as in `npm start`. An explicit NODE_COMPILE_CACHE or NODE_DISABLE_COMPILE_CACHE wins.
 */
export function withCompileCache(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env["NODE_COMPILE_CACHE"] !== undefined || env["NODE_DISABLE_COMPILE_CACHE"] !== undefined) return env;
  return { ...env, NODE_COMPILE_CACHE: join(tmpdir(), "node-compile-cache") };
}
