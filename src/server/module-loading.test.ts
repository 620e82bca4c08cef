// Module loading: the shortcut for relative imports inside ES-module packages resolves exactly as Node does, without the garbage.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
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
  // Both runs load the whole server once; the tests below share them.
  const serverLoad = (prepared: boolean) =>
    run<{ loaded: string[]; askedNode: string[] }>(`
        import { registerHooks } from "node:module";
        // Registered first, so it sees only what prepareModuleLoading's hook hands on to Node.
        const askedNode = [];
        registerHooks({ resolve(specifier, context, next) { askedNode.push(specifier); return next(specifier, context); } });
        ${prepared ? `(await import(${JSON.stringify(prepare)})).prepareModuleLoading();` : ""}
        const loaded = [];
        registerHooks({ load(url, context, next) { const result = next(url, context); loaded.push(url + " " + result.format); return result; } });
        for (const module of ["src/server/runtime.ts", "src/api/app.ts", "src/jobs/worker.ts"]) {
          await import(new URL(module, ${JSON.stringify(rootUrl)}).href);
        }
        // Builtins are left out: the prepared run loaded node:fs and friends before the recorder.
        process.stdout.write(JSON.stringify({ loaded: loaded.filter((entry) => !entry.startsWith("node:")).sort(), askedNode }));`);
  let plain: { loaded: string[]; askedNode: string[] } | undefined;
  let prepared: { loaded: string[]; askedNode: string[] } | undefined;
  const loads = () => {
    plain ??= serverLoad(false);
    prepared ??= serverLoad(true);
    return { plain, prepared };
  };

  it("loads the server's modules from the same files, in the same formats, as Node alone", () => {
    const { plain, prepared } = loads();
    expect(plain.loaded.length).toBeGreaterThan(300);
    expect(prepared.loaded).toEqual(plain.loaded);
  }, 90_000);

  it("asks Node to resolve a bare specifier once per anchor, not once per importing file", () => {
    const { plain, prepared } = loads();
    const count = (asked: string[], specifier: string) => asked.filter((each) => each === specifier).length;
    // Each resolution of "drizzle-orm" copies and parses its 179 KB of package exports twice.
    expect(count(plain.askedNode, "drizzle-orm")).toBeGreaterThan(20);
    expect(count(prepared.askedNode, "drizzle-orm")).toBe(1);
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

  it("resolves a bare specifier from a nested node_modules or a package's own name as Node alone does", () => {
    const root = join(scratch, "anchors");
    const write = (path: string, text: string) => {
      mkdirSync(join(root, path, ".."), { recursive: true });
      writeFileSync(join(root, path), text);
    };
    const dep = (where: string, value: string) => {
      write(
        `${where}/node_modules/dep/package.json`,
        JSON.stringify({ name: "dep", type: "module", exports: "./index.js" }),
      );
      write(`${where}/node_modules/dep/index.js`, `export const value = ${JSON.stringify(value)};\n`);
    };
    write("package.json", JSON.stringify({ name: "app", type: "module" }));
    dep(".", "root");
    dep("nested", "nested");
    write("nested/deeper/other.js", 'export { value } from "dep";\n');
    write("self/package.json", JSON.stringify({ name: "self", type: "module", exports: "./main.js" }));
    write("self/main.js", 'export const value = "self";\n');
    write("self/lib/uses-self.js", 'export { value } from "self";\n');
    write("main.js", 'export { value } from "dep";\n');
    write("nested/main.js", 'export { value } from "dep";\n');
    const values = (prepared: boolean) =>
      run<string[]>(
        `${prepared ? `(await import(${JSON.stringify(prepare)})).prepareModuleLoading();` : ""}
         const values = [];
         for (const file of ["main.js", "nested/main.js", "nested/deeper/other.js", "self/lib/uses-self.js", "main.js"]) {
           values.push((await import(new URL(file, ${JSON.stringify(`${pathToFileURL(root).href}/`)}).href)).value);
         }
         process.stdout.write(JSON.stringify(values));`,
        root,
      );
    expect(values(false)).toEqual(["root", "nested", "nested", "self", "root"]);
    expect(values(true)).toEqual(values(false));
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
