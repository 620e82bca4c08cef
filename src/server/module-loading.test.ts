// Module loading: the shortcut for relative imports inside ES-module packages resolves exactly as Node does, without the garbage.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const rootUrl = new URL("../..", import.meta.url).href;
const prepare = new URL("./module-loading.ts", import.meta.url).href;

/** Runs an ES module script in a fresh Node process (from the repository root) and parses its JSON output. */
function run<T>(script: string, cwd = fileURLToPath(rootUrl)): T {
  const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd,
    encoding: "utf8",
    env: { PATH: process.env["PATH"] ?? "", NODE_DISABLE_COMPILE_CACHE: "1" },
  });
  return JSON.parse(output) as T;
}

const scratch = mkdtempSync(join(tmpdir(), "terragate-module-loading-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("prepareModuleLoading", () => {
  it("loads the server's modules from the same files, in the same formats, as Node alone", () => {
    const loadedWith = (prepared: boolean) =>
      run<string[]>(`
        import { registerHooks } from "node:module";
        ${prepared ? `(await import(${JSON.stringify(prepare)})).prepareModuleLoading();` : ""}
        const loaded = [];
        registerHooks({ load(url, context, next) { const result = next(url, context); loaded.push(url + " " + result.format); return result; } });
        for (const module of ["src/server/runtime.ts", "src/api/app.ts", "src/jobs/worker.ts"]) {
          await import(new URL(module, ${JSON.stringify(rootUrl)}).href);
        }
        // Builtins are left out: the prepared run loaded node:fs and friends before the recorder.
        process.stdout.write(JSON.stringify(loaded.filter((entry) => !entry.startsWith("node:")).sort()));`);
    const plain = loadedWith(false);
    expect(plain.length).toBeGreaterThan(300);
    expect(loadedWith(true)).toEqual(plain);
  });

  it("loads drizzle-orm without the ~150 MB of garbage Node's package scope lookups made", () => {
    const heapAfterImport = (prepared: boolean) =>
      run<number>(`
        import { getHeapStatistics } from "node:v8";
        ${prepared ? `(await import(${JSON.stringify(prepare)})).prepareModuleLoading();` : ""}
        const before = getHeapStatistics().used_heap_size;
        await import("drizzle-orm/pg-core");
        process.stdout.write(JSON.stringify((getHeapStatistics().used_heap_size - before) / 1048576));`);
    expect(heapAfterImport(false)).toBeGreaterThan(100);
    expect(heapAfterImport(true)).toBeLessThan(40);
  });

  it("leaves a folder with its own package.json to Node, so a CommonJS file inside an ES package stays CommonJS", () => {
    const pkg = join(scratch, "node_modules", "mixed");
    mkdirSync(join(pkg, "legacy"), { recursive: true });
    writeFileSync(
      join(pkg, "package.json"),
      JSON.stringify({ name: "mixed", type: "module", exports: "./index.js" }),
    );
    writeFileSync(
      join(pkg, "index.js"),
      'export { default as legacy } from "./legacy/value.js";\nexport const esm = true;\n',
    );
    writeFileSync(join(pkg, "legacy", "package.json"), JSON.stringify({ type: "commonjs" }));
    writeFileSync(
      join(pkg, "legacy", "value.js"),
      "module.exports = { commonjs: typeof require === 'function' };\n",
    );
    const imported = run<{ esm: boolean; legacy: { commonjs: boolean } }>(
      `(await import(${JSON.stringify(prepare)})).prepareModuleLoading();
       const mixed = await import("mixed");
       process.stdout.write(JSON.stringify({ esm: mixed.esm, legacy: mixed.legacy }));`,
      scratch,
    );
    expect(imported).toEqual({ esm: true, legacy: { commonjs: true } });
  });
});
