// V8 flags every long-running Terragate process starts with (npm start, the bin, the benchmarks).

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
