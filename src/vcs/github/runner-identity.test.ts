// The claims a GitHub Actions OIDC token must carry to start a manifest: each mismatch is named.
import { describe, expect, it } from "vitest";
import { expectedWorkflowRef, githubRunnerIdentity } from "./runner-identity.ts";

const run = { repositoryId: "74", fullName: "acme/infra", defaultBranch: "main", runId: "9001" };
const dispatched = {
  repository_id: "74",
  run_id: "9001",
  event_name: "workflow_dispatch",
  workflow_ref: "acme/infra/.github/workflows/terragate.yml@refs/heads/main",
  job_workflow_ref: "acme/infra/.github/workflows/terragate.yml@refs/heads/main",
};

describe("githubRunnerIdentity", () => {
  it("accepts the dispatched run's token and names its run", () => {
    expect(githubRunnerIdentity(dispatched, run)).toEqual({ runId: "9001", problems: [] });
    expect(expectedWorkflowRef(run)).toBe(dispatched.workflow_ref);
  });

  it("compares owner and repository case-insensitively, but not the path or the branch", () => {
    const renamed = {
      ...dispatched,
      workflow_ref: "ACME/Infra/.github/workflows/terragate.yml@refs/heads/main",
    };
    expect(githubRunnerIdentity(renamed, run).problems).toEqual([]);
    const upper = {
      ...dispatched,
      workflow_ref: "acme/infra/.github/workflows/Terragate.yml@refs/heads/main",
    };
    expect(githubRunnerIdentity(upper, run).problems).toHaveLength(1);
  });

  it.each([
    ["another run", { run_id: "9002" }, "from run 9002, but Terragate dispatched run 9001"],
    ["another repository", { repository_id: "75" }, "repository id 75"],
    ["a push", { event_name: "push" }, "from a push event"],
    [
      "another workflow file",
      {
        workflow_ref: "acme/infra/.github/workflows/evil.yml@refs/heads/main",
        job_workflow_ref: "acme/infra/.github/workflows/evil.yml@refs/heads/main",
      },
      "workflow_ref is acme/infra/.github/workflows/evil.yml@refs/heads/main",
    ],
    [
      "a branch's copy of the workflow",
      {
        workflow_ref: "acme/infra/.github/workflows/terragate.yml@refs/heads/feature",
        job_workflow_ref: "acme/infra/.github/workflows/terragate.yml@refs/heads/feature",
      },
      "@refs/heads/feature",
    ],
    [
      "a reusable workflow called from a branch",
      { workflow_ref: "acme/infra/.github/workflows/evil.yml@refs/heads/feature" },
      "workflow_ref is acme/infra/.github/workflows/evil.yml@refs/heads/feature",
    ],
    ["no workflow at all", { workflow_ref: undefined, job_workflow_ref: undefined }, "names no workflow"],
  ])("refuses a token from %s", (_, overrides, problem) => {
    const claims: Record<string, unknown> = { ...dispatched, ...overrides };
    for (const [name, value] of Object.entries(overrides)) if (value === undefined) delete claims[name];
    const identity = githubRunnerIdentity(claims, run);
    expect(identity.problems.join("\n")).toContain(problem);
  });

  it("binds the first run when GitHub did not say which run the dispatch created", () => {
    const identity = githubRunnerIdentity({ ...dispatched, run_id: "5" }, { ...run, runId: null });
    expect(identity).toEqual({ runId: "5", problems: [] });
  });

  it("refuses a token without GitHub's claims", () => {
    expect(githubRunnerIdentity({ repository_id: "74" }, run).problems[0]).toMatch(
      /not a GitHub Actions token .*run_id, event_name/,
    );
  });
});
