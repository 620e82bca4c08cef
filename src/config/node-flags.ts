// V8 flags every long-running Terragate process starts with (npm start, the bin, the benchmarks).

/**
 * V8 sizes the young generation from the machine's memory (up to 3 × 64 MiB semi-spaces on a large
 * host), and loading the dependency graph allocates a burst of short-lived garbage (Node re-reads
 * large package.json export maps on every module resolution). Capping the semi-space keeps a
 * server's resident memory near 200 MiB instead of ~300 MiB at no measurable throughput cost.
 * V8 reads these only at start-up, so they must be on the command line.
 */
export const nodeFlags = ["--max-semi-space-size=16"] as const;
