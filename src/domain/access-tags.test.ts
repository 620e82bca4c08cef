// Access tags: the default branch's dirs config and tree decide, whatever the PR's config says.
import { describe, expect, it } from "vitest";
import { createAccessTagger } from "./access-tags.ts";
import { configChanges } from "./config-changes.ts";
import { RepoConfig } from "./repo-config.ts";

const defaultBranch = RepoConfig.parse({
  dirs: {
    "infra/*": { tags: ["aws"] },
    "infra/prod": { tags: ["prod"], workspaces: { default: {}, blue: { tags: ["blue"] } } },
  },
});
const files = ["infra/prod/main.tf", "infra/dev/main.tf", "modules/x/main.tf", "README.md"];

describe("createAccessTagger", () => {
  const tagsOf = createAccessTagger(defaultBranch, files);

  it("gives a dir the default branch's tags, with its workspace's", () => {
    expect(tagsOf({ dir: "infra/prod", workspace: "default" })).toEqual([
      "prod",
      "dir:infra/prod",
      "workspace:default",
    ]);
    expect(tagsOf({ dir: "infra/prod", workspace: "blue" })).toEqual([
      "prod",
      "blue",
      "dir:infra/prod",
      "workspace:blue",
    ]);
    expect(tagsOf({ dir: "infra/dev", workspace: "default" })).toEqual([
      "aws",
      "dir:infra/dev",
      "workspace:default",
    ]);
  });

  it("keeps the dir's tags for a workspace only the PR adds, without inventing workspace tags", () => {
    expect(tagsOf({ dir: "infra/prod", workspace: "constructor" })).toEqual([
      "prod",
      "dir:infra/prod",
      "workspace:constructor",
    ]);
  });

  it("gives a dir that exists only in the PR (or is ignored on the default branch) only its implicit tags", () => {
    expect(tagsOf({ dir: "infra/new", workspace: "default" })).toEqual([
      "dir:infra/new",
      "workspace:default",
    ]);
    expect(tagsOf({ dir: "modules/x", workspace: "default" })).toEqual([
      "dir:modules/x",
      "workspace:default",
    ]);
  });
});

describe("configChanges", () => {
  it("picks the config directory and the dispatched workflow, nothing else", () => {
    expect(
      configChanges([
        "infra/a/main.tf",
        ".terragate/config.yml",
        ".terragate/scripts/check.sh",
        ".github/workflows/terragate.yml",
        ".github/workflows/ci.yml",
        "docs/.terragate/config.yml",
      ]),
    ).toEqual([".terragate/config.yml", ".terragate/scripts/check.sh", ".github/workflows/terragate.yml"]);
  });
});
