// Changed files → dirspaces: default patterns, `${DIR}`, negation, repo-relative patterns, and a
// property test against the every-pattern-against-every-file reference on random trees.
import { describe, expect, it } from "vitest";
import { discoverDirspaces } from "./discover.ts";
import { autoplanDirspaces, createChangeMatcher, evaluateRepo, filterDirspaces } from "./match.ts";
import { referenceMatch } from "./match-reference.ts";
import { RepoConfig } from "./repo-config.ts";
import { parseTagQuery } from "./tag-query.ts";

const D = "$" + "{DIR}";

function changedDirspaces(files: string[], config: unknown, changedFiles: string[]): string[] {
  const { dirspaces } = evaluateRepo({ files, config: RepoConfig.parse(config), changedFiles });
  return dirspaces.filter((d) => d.changed).map((d) => `${d.dir} ${d.workspace}`);
}

const tree = ["main.tf", "infra/a/main.tf", "infra/a/sub/main.tf", "infra/b/main.tf", "shared/common.tfvars"];

describe("matching with the default file patterns", () => {
  it.each([
    [["infra/a/main.tf"], ["infra/a default"]],
    [["infra/a/prod.tfvars"], ["infra/a default"]],
    [["infra/a/.terraform.lock.hcl"], ["infra/a default"]],
    [["infra/a/terragrunt.hcl"], ["infra/a default"]],
    [["infra/a/new.tofu"], ["infra/a default"]],
    [["infra/a/README.md"], []],
    [["infra/a/sub/main.tf"], ["infra/a/sub default"]],
    [["infra/a/deeper/x.tf"], []],
    [["variables.tf"], [". default"]],
    [["./infra//b/main.tf"], ["infra/b default"]],
    [["shared/common.tfvars"], []],
    [[], []],
  ])("%j → %j", (changed, expected) => {
    expect(changedDirspaces(tree, {}, changed)).toEqual(expected);
  });
});

describe("file patterns", () => {
  it("treats a pattern without the dir placeholder as repo-relative", () => {
    const config = { when_modified: { file_patterns: [`${D}/*.tf`, "shared/*.tfvars"] } };
    expect(changedDirspaces(tree, config, ["shared/common.tfvars"])).toEqual([
      ". default",
      "infra/a default",
      "infra/a/sub default",
      "infra/b default",
    ]);
  });

  it("excludes files matched by a ! pattern", () => {
    const config = {
      when_modified: { file_patterns: [`${D}/*.tf`, `!${D}/ignored.tf`, "!**/generated-*.tf"] },
    };
    expect(changedDirspaces(tree, config, ["infra/a/ignored.tf", "infra/b/generated-x.tf"])).toEqual([]);
    expect(changedDirspaces(tree, config, ["infra/a/ignored.tf", "infra/a/kept.tf"])).toEqual([
      "infra/a default",
    ]);
  });

  it("matches files at any depth below the dir with **", () => {
    const config = { dirs: { "infra/a": { when_modified: { file_patterns: [`${D}/**/*.tf`] } } } };
    expect(changedDirspaces(tree, config, ["infra/a/deeper/still/x.tf"])).toEqual(["infra/a default"]);
    expect(changedDirspaces(tree, config, ["infra/ab/x.tf"])).toEqual([]);
  });

  it("substitutes the dir anywhere in a pattern", () => {
    const config = { when_modified: { file_patterns: [`envs/${D}.tfvars`] } };
    expect(changedDirspaces(tree, config, ["envs/infra/b.tfvars"])).toEqual(["infra/b default"]);
  });

  it("reads braces and character classes as Atlantis users write them", () => {
    const config = { when_modified: { file_patterns: [`${D}/*.{tf,tfvars}`, `${D}/[a-z]*.hcl`] } };
    expect(changedDirspaces(tree, config, ["infra/a/prod.tfvars"])).toEqual(["infra/a default"]);
    expect(changedDirspaces(tree, config, ["infra/b/main.tf"])).toEqual(["infra/b default"]);
    expect(changedDirspaces(tree, config, ["infra/b/root.hcl"])).toEqual(["infra/b default"]);
    expect(changedDirspaces(tree, config, ["infra/b/Root.hcl", "infra/b/x.tofu"])).toEqual([]);
  });

  it("expands braces around the dir placeholder and in exclusions", () => {
    const config = {
      when_modified: { file_patterns: [`{${D},shared}/*.tf`, `!${D}/{gen,tmp}-*.tf`] },
    };
    expect(changedDirspaces(tree, config, ["shared/x.tf"])).toHaveLength(4);
    expect(changedDirspaces(tree, config, ["infra/a/gen-1.tf", "infra/b/tmp-2.tf"])).toEqual([]);
    expect(changedDirspaces(tree, config, ["infra/a/keep.tf"])).toEqual(["infra/a default"]);
  });

  it("takes a dir's name literally inside a pattern, even with glob characters in it", () => {
    const files = ["envs/a[1]/main.tf", "envs/a1/main.tf", "envs/b{x}/main.tf"];
    const config = { when_modified: { file_patterns: [`vars/${D}.tfvars`] } };
    expect(changedDirspaces(files, config, ["vars/envs/a[1].tfvars"])).toEqual(["envs/a[1] default"]);
    expect(changedDirspaces(files, config, ["vars/envs/a1.tfvars"])).toEqual(["envs/a1 default"]);
    expect(changedDirspaces(files, config, ["vars/envs/b{x}.tfvars"])).toEqual(["envs/b{x} default"]);
  });

  it("lets a workspace override the dir's patterns", () => {
    const config = {
      dirs: {
        "infra/b": {
          workspaces: {
            prod: { when_modified: { file_patterns: [`${D}/prod.tfvars`] } },
            dev: { when_modified: { file_patterns: [`${D}/dev.tfvars`] } },
          },
        },
      },
    };
    expect(changedDirspaces(tree, config, ["infra/b/prod.tfvars"])).toEqual(["infra/b prod"]);
  });

  it("skips changed paths outside the repository with a warning", () => {
    const result = evaluateRepo({
      files: tree,
      config: RepoConfig.parse({}),
      changedFiles: ["../infra/a/main.tf"],
    });
    expect(result.dirspaces.some((d) => d.changed)).toBe(false);
    expect(result.warnings).toEqual([
      {
        path: [],
        message:
          'skipped changed file "../infra/a/main.tf": it contains `..`; paths must stay inside the repository',
      },
    ]);
  });
});

describe("selecting dirspaces", () => {
  const config = RepoConfig.parse({
    dirs: { "infra/*": { tags: ["aws"], workspaces: { prod: { tags: ["prod"] }, dev: {} } } },
    when_modified: { autoplan_draft_pr: false },
  });
  const { dirspaces } = evaluateRepo({ files: tree, config, changedFiles: ["infra/a/main.tf", "main.tf"] });

  it("filters by a tag query", () => {
    const names = (query: string) =>
      filterDirspaces(dirspaces, parseTagQuery(query)).map((d) => `${d.dir} ${d.workspace}`);
    expect(names("aws and not prod")).toEqual(["infra/a dev", "infra/b dev"]);
    expect(names("dir:infra/a")).toEqual(["infra/a dev", "infra/a prod"]);
    expect(names("")).toHaveLength(dirspaces.length);
  });

  it("autoplans changed dirspaces, and on drafts only those with autoplan_draft_pr", () => {
    const names = (draft: boolean) =>
      autoplanDirspaces(dirspaces, draft).map((d) => `${d.dir} ${d.workspace}`);
    expect(names(false)).toEqual([". default", "infra/a dev", "infra/a prod"]);
    expect(names(true)).toEqual([]);
  });
});

/** A small seeded generator (mulberry32), so a failing case can be replayed from its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("property: the fast matcher equals the reference", () => {
  const segments = ["a", "b", "c", "modules", "x.y", "env-1"];
  const names = [
    "main.tf",
    "vars.tfvars",
    "x.tofu",
    "terragrunt.hcl",
    "README.md",
    ".terraform.lock.hcl",
    "a.tf",
  ];
  const patternParts = [
    "*",
    "**",
    "*.tf",
    "a",
    "b",
    "*.tfvars",
    "?.tf",
    "main.tf",
    "c",
    "env-?",
    "x.y",
    "*.{tf,tfvars}",
    "{a,b}",
    "{a/b,c}",
    "[a-c]",
    "[!m]*.tf",
    "env-[0-9]",
    "{*.tf,modules/**}",
    "{,x.}y",
  ];

  it("agrees on 500 random trees, configs and change sets", () => {
    for (let seed = 1; seed <= 500; seed++) {
      const next = random(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
      const path = (depth: number) => Array.from({ length: depth }, () => pick(segments)).join("/");
      const file = () => {
        const dir = path(Math.floor(next() * 4));
        return dir === "" ? pick(names) : `${dir}/${pick(names)}`;
      };
      const pattern = () => {
        const body = Array.from({ length: 1 + Math.floor(next() * 3) }, () => pick(patternParts)).join("/");
        const roll = next();
        const placed = roll < 0.6 ? `${D}/${body}` : roll < 0.7 ? `${body}/${D}/${pick(patternParts)}` : body;
        return next() < 0.25 ? `!${placed}` : placed;
      };
      const patterns = () => Array.from({ length: 1 + Math.floor(next() * 4) }, pattern);
      const files = Array.from({ length: 5 + Math.floor(next() * 40) }, file);
      const dirs: Record<string, unknown> = {};
      for (let i = 0; i < 3; i++) {
        const key =
          next() < 0.5
            ? path(1 + Math.floor(next() * 2))
            : `${pick(segments)}/${pick(["*", "**", "{a,b}", "[a-c]", "{x.y,*/env-?}"])}`;
        dirs[key] = {
          when_modified: next() < 0.7 ? { file_patterns: patterns() } : undefined,
          workspaces:
            next() < 0.5 ? { one: {}, two: { when_modified: { file_patterns: patterns() } } } : undefined,
        };
      }
      const config = RepoConfig.parse({ dirs, when_modified: { file_patterns: patterns() } });
      const changedFiles = [
        ...files.filter(() => next() < 0.3),
        ...Array.from({ length: Math.floor(next() * 10) }, file),
      ];
      const fast = evaluateRepo({ files, config, changedFiles }).dirspaces.map((d) => d.changed);
      const reference = referenceMatch(discoverDirspaces(files, config).dirspaces, changedFiles);
      expect({ seed, changed: fast }).toEqual({ seed, changed: reference });
    }
  });

  it("caches per dir and pattern list without mixing results", () => {
    const matcher = createChangeMatcher(["a/main.tf", "b/x.tfvars"]);
    expect(matcher.isChanged("a", [`${D}/*.tf`])).toBe(true);
    expect(matcher.isChanged("b", [`${D}/*.tf`])).toBe(false);
    expect(matcher.isChanged("b", [`${D}/*.tfvars`])).toBe(true);
    expect(matcher.isChanged("a", [`${D}/*.tfvars`])).toBe(false);
  });
});
