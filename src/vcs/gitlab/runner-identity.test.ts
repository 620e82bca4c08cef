import { describe, expect, it } from "vitest";
import { gitlabRunnerIdentity } from "./runner-identity.ts";

const run = { repositoryId: "15", fullName: "acme/Infra", defaultBranch: "main", runId: "900" };
const claims = {
  iss: "https://gitlab.example.com",
  project_id: "15",
  pipeline_id: "900",
  ci_config_ref_uri: "gitlab.example.com/acme/infra//.gitlab-ci.yml@refs/heads/main",
  ref_protected: "true",
};

describe("gitlabRunnerIdentity", () => {
  it("accepts a job of the created pipeline, from the default branch's CI configuration", () => {
    expect(gitlabRunnerIdentity(claims, run)).toEqual({ runId: "900", problems: [] });
    expect(gitlabRunnerIdentity({ ...claims, project_id: 15, pipeline_id: 900 }, run).problems).toEqual([]);
  });

  it.each([
    [{ pipeline_id: "901" }, "from pipeline 901, but Terragate created pipeline 900"],
    [{ project_id: "16" }, "for project 16"],
    [{ ref_protected: "false" }, "unprotected ref"],
    [
      { ci_config_ref_uri: "gitlab.example.com/acme/infra//.gitlab-ci.yml@refs/heads/feature" },
      "ci_config_ref_uri",
    ],
    [
      { ci_config_ref_uri: "gitlab.example.com/mallory/infra//.gitlab-ci.yml@refs/heads/main" },
      "ci_config_ref_uri",
    ],
    [
      { ci_config_ref_uri: "evil.example.com/acme/infra//.gitlab-ci.yml@refs/heads/main" },
      "ci_config_ref_uri",
    ],
  ])("refuses %o", (override, problem) => {
    const identity = gitlabRunnerIdentity({ ...claims, ...override }, run);
    expect(identity.problems).toHaveLength(1);
    expect(identity.problems[0]).toContain(problem);
  });

  it("refuses a token that is no GitLab job token, naming the missing claims", () => {
    const { pipeline_id: _, ...rest } = claims;
    expect(gitlabRunnerIdentity(rest, run).problems[0]).toMatch(/not a GitLab CI job token.*pipeline_id/);
  });
});
