// What a server process loads before its first request or job: no probot, evaluator, renderer, setup page or docs.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const rootUrl = new URL("../..", import.meta.url).href;

/** The source files and packages a fresh Node process loads when it imports `modules` (as serve does). */
function loadedBy(modules: string[]): string[] {
  // As serve does: module loading prepared first (also much faster than Node's own resolution).
  const script = `
    import { registerHooks } from "node:module";
    (await import(new URL("src/server/module-loading.ts", ${JSON.stringify(rootUrl)}).href)).prepareModuleLoading();
    const loaded = new Set();
    registerHooks({ load(url, context, next) { loaded.add(url); return next(url, context); } });
    for (const module of ${JSON.stringify(modules)}) await import(new URL(module, ${JSON.stringify(rootUrl)}).href);
    process.stdout.write(JSON.stringify([...loaded]));`;
  const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: fileURLToPath(rootUrl),
    encoding: "utf8",
    env: { PATH: process.env["PATH"] ?? "", NODE_DISABLE_COMPILE_CACHE: "1" },
  });
  return (JSON.parse(output) as string[]).map((url) =>
    url.replace(rootUrl, "").replace(/^.*node_modules\/((?:@[^/]+\/)?[^/]+)\/.*$/, "package:$1"),
  );
}

describe("lazy loading", () => {
  it("a serving process (runtime, HTTP app, worker and task list) holds none of what it has not used yet", () => {
    const loaded = loadedBy([
      "src/server/runtime.ts",
      "src/api/app.ts",
      "src/jobs/worker.ts",
      "src/jobs/task-list.ts",
    ]);
    expect(loaded).toContain("src/api/app.ts");
    expect(loaded).toContain("package:graphile-worker");
    const early = loaded.filter(
      (path) =>
        path === "package:probot" ||
        path === "package:@gitbeaker/rest" ||
        path === "package:yaml" ||
        path.startsWith("src/evaluator/") ||
        // run-reasons.ts is a few sentences with no imports of its own, which initiate answers with.
        (path.startsWith("src/render/") && path !== "src/render/run-reasons.ts") ||
        path.startsWith("src/vcs/github/setup/") ||
        path === "src/api/v1/api-docs.ts" ||
        path === "src/vcs/github/clients.ts" ||
        path === "src/runner/run-manifest.ts" ||
        // The OpenTelemetry SDK loads only with OTEL_EXPORTER_OTLP_ENDPOINT (the API alone is a no-op).
        path === "src/tracing/start-tracing.ts" ||
        (path.startsWith("package:@opentelemetry/") && path !== "package:@opentelemetry/api") ||
        /^src\/jobs\/(evaluate-event|dispatch-run|report-results)\.ts$/.test(path),
    );
    expect(early).toEqual([]);
  });

  it("the runtime loads the HTTP app and the worker only for the processes that run them", () => {
    const loaded = loadedBy(["src/server/runtime.ts"]);
    expect(loaded).toContain("src/server/runtime.ts");
    expect(loaded.filter((path) => path === "src/api/app.ts" || path === "src/jobs/worker.ts")).toEqual([]);
  });

  it("the terragate command with a warm compile cache never loads Node's TypeScript stripper", () => {
    // TMPDIR moves the default cache directory: the first run fills it, the second reads from it.
    const temp = mkdtempSync(join(tmpdir(), "terragate-compile-cache-"));
    const preload = `process.on("exit", () => process.stderr.write(JSON.stringify(process.moduleLoadList.filter((name) => name.includes("amaro")))));`;
    const stripperLoads = () => {
      const result = spawnSync(
        process.execPath,
        ["--import", `data:text/javascript,${encodeURIComponent(preload)}`, "bin/terragate.js", "--version"],
        {
          cwd: fileURLToPath(rootUrl),
          encoding: "utf8",
          env: { PATH: process.env["PATH"] ?? "", TMPDIR: temp },
        },
      );
      expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
      return JSON.parse(result.stderr) as string[];
    };
    try {
      expect(stripperLoads()).toEqual(["NativeModule internal/deps/amaro/dist/index"]);
      expect(stripperLoads()).toEqual([]);
    } finally {
      rmSync(temp, { recursive: true, force: true });
    }
  });
});
