// Discovery: which dirs are terraform roots, which `dirs` entry each gets, tags, workspaces, workflows.
import { describe, expect, it } from "vitest";
import { defaultWorkflow } from "./dirspace.ts";
import { discoverDirspaces, findTerraformRoots } from "./discover.ts";
import { RepoConfig } from "./repo-config.ts";

const summary = (files: string[], config: unknown) => {
  const { dirspaces, warnings } = discoverDirspaces(files, RepoConfig.parse(config));
  return { dirspaces: dirspaces.map((d) => `${d.dir} ${d.workspace} [${d.tags.join(" ")}]`), warnings };
};

describe("findTerraformRoots", () => {
  it("finds dirs holding *.tf, *.tofu or terragrunt.hcl, including the root", () => {
    const files = [
      "main.tf",
      "a/main.tf",
      "a/b/x.tofu",
      "c/terragrunt.hcl",
      "d/only.tfvars",
      "e/terragrunt.hcl.bak",
      "f/README.md",
      "a/main.tf",
    ];
    expect(findTerraformRoots(files)).toEqual([".", "a", "a/b", "c"]);
  });

  it("normalizes paths and skips unsafe ones with a warning", () => {
    const warnings: Array<{ path: (string | number)[]; message: string }> = [];
    expect(findTerraformRoots(["./x//main.tf", "../escape/main.tf", "a\\b.tf"], warnings)).toEqual(["x"]);
    expect(warnings).toEqual([
      {
        path: [],
        message: 'skipped file "../escape/main.tf": it contains `..`; paths must stay inside the repository',
      },
      {
        path: [],
        message: 'skipped file "a\\\\b.tf": it contains a backslash; separate directories with / instead',
      },
    ]);
  });
});

describe("discoverDirspaces", () => {
  const files = [
    "infra/a/main.tf",
    "infra/b/main.tf",
    "infra/special/main.tf",
    "modules/vpc/main.tf",
    "x/modules/y/main.tf",
  ];

  it("excludes roots under a modules segment by default, and with a custom ignore only what it lists", () => {
    expect(summary(files, {}).dirspaces).toEqual([
      "infra/a default [dir:infra/a workspace:default]",
      "infra/b default [dir:infra/b workspace:default]",
      "infra/special default [dir:infra/special workspace:default]",
    ]);
    expect(summary(files, { ignore: ["infra/special"] }).dirspaces).toEqual([
      "infra/a default [dir:infra/a workspace:default]",
      "infra/b default [dir:infra/b workspace:default]",
      "modules/vpc default [dir:modules/vpc workspace:default]",
      "x/modules/y default [dir:x/modules/y workspace:default]",
    ]);
  });

  it("gives an exact key precedence over globs, and a longer glob over a shorter one", () => {
    const config = {
      dirs: {
        "**": { tags: ["anywhere"] },
        "infra/*": { tags: ["infra"] },
        "infra/special": { tags: ["special"] },
        "infra/*/": { tags: ["unused-duplicate"] },
        "infra/b*": { tags: ["b-glob"] },
      },
    };
    const result = summary([...files, "other/main.tf"], config);
    expect(result.dirspaces).toEqual([
      "infra/a default [infra dir:infra/a workspace:default]",
      "infra/b default [b-glob dir:infra/b workspace:default]",
      "infra/special default [special dir:infra/special workspace:default]",
      "other default [anywhere dir:other workspace:default]",
    ]);
  });

  it("keeps the first of two globs of equal length", () => {
    const config = { dirs: { "infra/?": { tags: ["first"] }, "*/a": { tags: ["second"] } } };
    expect(summary(["infra/a/main.tf"], config).dirspaces).toEqual([
      "infra/a default [first dir:infra/a workspace:default]",
    ]);
  });

  it("expands workspaces in name order with dir and workspace tags", () => {
    const config = {
      dirs: {
        "infra/*": {
          tags: ["aws", "shared"],
          workspaces: { staging: { tags: ["nonprod", "shared"] }, prod: { tags: ["prod"] } },
        },
      },
    };
    expect(summary(["infra/a/main.tf"], config).dirspaces).toEqual([
      "infra/a prod [aws shared prod dir:infra/a workspace:prod]",
      "infra/a staging [aws shared nonprod dir:infra/a workspace:staging]",
    ]);
  });

  it("warns about dirs keys that match no terraform root, saying why", () => {
    const config = {
      dirs: { "infra/a": {}, "infra/gone": {}, "modules/vpc": {}, "nowhere/*": {}, "infra/*": {} },
    };
    expect(summary(files, config).warnings).toEqual([
      {
        path: ["dirs", "infra/gone"],
        message:
          "matches no terraform root (a dir holding *.tf, *.tofu or terragrunt.hcl); check the spelling",
      },
      {
        path: ["dirs", "modules/vpc"],
        message: 'matches no terraform root: modules/vpc is excluded by the ignore pattern "**/modules/**"',
      },
      {
        path: ["dirs", "nowhere/*"],
        message:
          "matches no terraform root (a dir holding *.tf, *.tofu or terragrunt.hcl); check the spelling",
      },
    ]);
    const shadowed = summary(["infra/a/main.tf"], { dirs: { "infra/a": {}, "infra/*": {} } });
    expect(shadowed.warnings).toEqual([
      {
        path: ["dirs", "infra/*"],
        message:
          "applies to no terraform root: the dirs it matches are ignored, used as modules by other dirs, or taken by a more specific dirs entry",
      },
    ]);
  });

  it("resolves when_modified from top level, dir, then workspace", () => {
    const config = RepoConfig.parse({
      when_modified: { file_patterns: ["top"], autoplan: false },
      dirs: {
        "infra/a": {
          when_modified: { autoplan_draft_pr: false },
          workspaces: { one: {}, two: { when_modified: { file_patterns: ["ws"], autoplan: true } } },
        },
      },
    });
    const { dirspaces } = discoverDirspaces(["infra/a/main.tf", "infra/b/main.tf"], config);
    expect(dirspaces.map((d) => [d.dir, d.workspace, d.filePatterns, d.autoplan, d.autoplanDraftPr])).toEqual(
      [
        ["infra/a", "one", ["top"], false, false],
        ["infra/a", "two", ["ws"], true, false],
        ["infra/b", "default", ["top"], false, true],
      ],
    );
  });

  it("uses the first workflow whose tag query matches, else the default", () => {
    const config = RepoConfig.parse({
      dirs: { "infra/*": { workspaces: { prod: { tags: ["prod"] }, dev: {} } } },
      workflows: [
        { tag_query: "prod", engine: { name: "tofu" } },
        { tag_query: "workspace:prod or a in dir", engine: { name: "terragrunt" } },
        { tag_query: "a in dir", plan: [{ type: "plan", extra_args: ["-refresh=false"] }] },
      ],
    });
    const { dirspaces } = discoverDirspaces(["infra/a/main.tf", "infra/b/main.tf", "c/main.tf"], config);
    expect(dirspaces.map((d) => [d.dir, d.workspace, d.workflow.index, d.workflow.engine.name])).toEqual([
      ["c", "default", null, "terraform"],
      ["infra/a", "dev", 1, "terragrunt"],
      ["infra/a", "prod", 0, "tofu"],
      ["infra/b", "dev", null, "terraform"],
      ["infra/b", "prod", 0, "tofu"],
    ]);
    expect(dirspaces[0]!.workflow).toEqual(defaultWorkflow);
    expect(dirspaces[2]!.workflow.plan).toEqual([
      { type: "init", extra_args: [] },
      { type: "plan", extra_args: [] },
    ]);
  });
});
