// The registry answers for every VCS, and no code outside a platform's folder imports from it.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ciPlatforms } from "./ci.ts";
import { platformFor, platformList, platforms } from "./registry.ts";
import { vcsNames } from "./types.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

/** Every relative module a file imports (static `from "…"` and dynamic `import("…")`), as repo paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specifiers = [...text.matchAll(/(?:from\s+|import\s*\(\s*)"(\.{1,2}\/[^"]+)"/g)].map((m) => m[1]!);
  return specifiers.map((specifier) => relative(root, resolve(dirname(file), specifier)));
}

/** Files allowed to import a platform's folder: the platform itself and the two registries. */
function allowed(file: string, platformDir: string): boolean {
  return file.startsWith(`${platformDir}/`) || file === "src/vcs/registry.ts" || file === "src/vcs/ci.ts";
}

describe("VCS registry", () => {
  it("has one platform per VCS name, on the server and on the CI side", () => {
    expect(Object.keys(platforms).sort()).toEqual([...vcsNames].sort());
    for (const vcs of vcsNames) {
      expect(platformFor(vcs).vcs).toBe(vcs);
      expect(ciPlatforms[vcs].vcs).toBe(vcs);
    }
    expect(platformList.map((platform) => platform.vcs)).toEqual([...vcsNames]);
  });

  it("words and limits differ where the VCSs do", () => {
    expect(platforms.github.words.reference(42)).toBe("#42");
    expect(platforms.gitlab.words.reference(42)).toBe("!42");
    expect(platforms.github.limits.statusKind).toBe("check_run");
    expect(platforms.gitlab.limits.statusKind).toBe("commit_status");
    expect(platforms.gitlab.limits.comment).toBeGreaterThan(platforms.github.limits.comment);
  });

  it("no source file outside src/vcs/github imports from it (jobs, render, evaluator, API ask the registry)", () => {
    const offenders = sourceFiles(join(root, "src")).flatMap((path) => {
      const file = relative(root, path);
      return importsOf(path)
        .filter((target) => target.startsWith("src/vcs/github/") && !allowed(file, "src/vcs/github"))
        .map((target) => `${file} → ${target}`);
    });
    expect(offenders).toEqual([]);
  });
});
