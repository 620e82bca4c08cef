// How every long-running Terragate process starts: its V8 flags and its compile cache (npm start, the bin, the benchmarks).
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * V8 sizes the young generation from the machine's memory (semi-spaces of up to 32–64 MiB on a
 * large host) and keeps what it grew to. At start-up that no longer happens (prepareModuleLoading in
 * src/server/module-loading.ts removed the ~150 MB of garbage that loading the dependency graph
 * made): an idle server holds about 155 MB with or without this flag. Under request load it still
 * does: in the GitHub benchmark the server peaked at 306 MiB (HTTP and worker) and 359 MiB (HTTP
 * only) without the flag, 227 and 272 MiB with it. So the flag stays. V8 reads these only at
 * start-up, so they must be on the command line (a test checks npm start and the bin).
 */
export const nodeFlags = ["--max-semi-space-size=16"] as const;

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
