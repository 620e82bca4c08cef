// The per-commit and per-content caches: a known commit is a lookup; a new commit re-reads only new contents.
import { describe, expect, it } from "vitest";
import { monorepo } from "../../../test/fixtures/module-monorepo.ts";
import { createModuleIndexCache, LruMap } from "./cache.ts";

/** Content keys as a VCS gives them (a blob sha per content): here the text itself. */
const byText = (files: Record<string, string>) => (path: string) => files[path]!;

describe("module index cache", () => {
  it("reads each content once across commits and returns the same index for a known commit", () => {
    const cache = createModuleIndexCache({ commits: 4, summaries: 1000 });
    const reads: string[] = [];
    const read = (files: Record<string, string>) => (path: string) => {
      reads.push(path);
      return files[path]!;
    };
    const paths = Object.keys(monorepo);
    const first = cache.build("sha-1", paths, byText(monorepo), read(monorepo));
    const indexedCount = reads.length;
    expect(indexedCount).toBe(paths.filter((path) => /\.(tf|tofu|hcl)$/.test(path)).length);
    expect(cache.get("sha-1")).toBe(first);

    const next = { ...monorepo, "infra/dns/main.tf": 'module "app" {\n  source = "../../modules/app"\n}\n' };
    expect(cache.missing(Object.keys(next), byText(next))).toEqual(["infra/dns/main.tf"]);
    reads.length = 0;
    const second = cache.build("sha-2", Object.keys(next), byText(next), read(next));
    expect(reads).toEqual(["infra/dns/main.tf"]);
    expect(second.dirs.get("infra/dns")?.map((use) => use.target)).toEqual(["modules/app"]);
    expect(first.dirs.get("infra/dns")).toEqual([]);
  });

  it("forgets the least recently used entries past its limit", () => {
    const lru = new LruMap<number>(2);
    lru.set("a", 1);
    lru.set("b", 2);
    expect(lru.get("a")).toBe(1);
    lru.set("c", 3);
    expect([lru.get("a"), lru.get("b"), lru.get("c"), lru.size]).toEqual([1, undefined, 3, 2]);
  });
});
