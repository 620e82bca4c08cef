// The GitHub VcsProvider through the real probot octokit against the fake GitHub API.
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { renderCheckRun } from "../../src/render/check-run-output.ts";
import type { DirspaceReport, RunReport } from "../../src/render/run-report.ts";
import { createGithubClients } from "../../src/vcs/github/clients.ts";
import { workflowSnippet } from "../../src/vcs/github/workflow-snippet.ts";
import { platforms } from "../../src/vcs/registry.ts";
import { VcsError, type VcsProvider } from "../../src/vcs/types.ts";
import { testAppPrivateKey } from "../fakes/github/app-key.ts";
import { type FakeGithub, startFakeGithub } from "../fakes/github/server.ts";

let github: FakeGithub;
let provider: VcsProvider;

beforeAll(async () => {
  github = await startFakeGithub();
  const repo = github.state.addRepo({ owner: "acme", name: "infra", installationId: 7 });
  github.state.commit("acme/infra", "main", {
    "a/main.tf": "",
    ".github/workflows/terragate.yml": workflowSnippet(),
  });
  github.state.commit("acme/infra", "feature", { "a/main.tf": "# changed", "b/main.tf": "" });
  github.state.openPullRequest("acme/infra", {
    number: 3,
    author: "alice",
    base: "main",
    head: "feature",
    files: Array.from({ length: 250 }, (_, index) => `dir${index}/main.tf`),
  });
  repo.permissions.set("alice", "maintain");
  github.state.addTeamMember("acme", "sre", "carol");
  const clients = createGithubClients({
    credentials: {
      appId: "1",
      privateKey: testAppPrivateKey(),
      webhookSecret: "s",
      slug: null,
      source: "env",
    },
    apiUrl: github.url,
    logger: pino({ level: "silent" }),
  });
  provider = clients.providerFor("7", "acme", "infra");
});

afterAll(async () => {
  await github.close();
});

describe("GitHub provider", () => {
  it("sends a call without waiting on a timer first (no queue in front of GitHub)", async () => {
    await provider.getFile("a/main.tf", "feature");
    // With timers that never fire, a call queued behind one (probot's retry and throttling
    // plugins queue each call through Bottleneck, which waits timer ticks) never answers.
    vi.useFakeTimers({ toFake: ["setTimeout", "setInterval"] });
    try {
      expect(await provider.getFile("a/main.tf", "feature")).toBe("# changed");
      expect(await provider.getUserPermission("alice")).toBe("maintain");
    } finally {
      vi.useRealTimers();
    }
  });

  it("reads files at a ref and answers null for a missing one", async () => {
    expect(await provider.getFile("a/main.tf", "feature")).toBe("# changed");
    expect(await provider.getFile("nope.tf", "feature")).toBeNull();
  });

  it("follows Link pagination for the changed files of a PR", async () => {
    const files = await provider.listChangedFiles(3);
    expect(files).toHaveLength(250);
    expect(files.at(-1)).toBe("dir249/main.tf");
  });

  it("lists the tree at a sha", async () => {
    const sha = github.state.repo("acme/infra").branches.get("feature")!;
    expect((await provider.listTree(sha)).sort()).toEqual(["a/main.tf", "b/main.tf"]);
  });

  it("maps permissions, team membership and unknown users", async () => {
    expect(await provider.getUserPermission("alice")).toBe("maintain");
    expect(await provider.getUserPermission("mallory")).toBe("none");
    expect(await provider.isTeamMember("sre", "carol")).toBe(true);
    expect(await provider.isTeamMember("sre", "alice")).toBe(false);
  });

  it("upserts a comment by its marker instead of adding a second one", async () => {
    const first = await provider.upsertComment(3, "<!-- terragate:test -->", "<!-- terragate:test -->\none");
    const second = await provider.upsertComment(3, "<!-- terragate:test -->", "<!-- terragate:test -->\ntwo");
    expect(second.id).toBe(first.id);
    const comments = github.state.botComments("acme/infra", 3);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain("two");
  });

  it("never edits a comment another app's bot or a person wrote with our marker", async () => {
    const marker = "<!-- terragate:refusal:pr-3 -->";
    const planted = github.state.addOtherBotComment("acme/infra", 3, "evil[bot]", 666, `${marker}\nplanted`);
    const quoted = github.state.addUserComment("acme/infra", 3, "mallory", `${marker}\nquoted`);
    const { id } = await provider.upsertComment(3, marker, `${marker}\nours`);
    expect([String(planted), String(quoted)]).not.toContain(id);
    const comments = github.state.pull("acme/infra", 3).comments;
    expect(comments.find((comment) => comment.id === planted)?.body).toBe(`${marker}\nplanted`);
    expect(comments.find((comment) => comment.id === quoted)?.body).toBe(`${marker}\nquoted`);
    expect(comments.find((comment) => String(comment.id) === id)).toMatchObject({
      appId: 1,
      body: `${marker}\nours`,
    });
  });

  it("reads a PR from a fork as a fork, and one whose fork was deleted too", async () => {
    const pull = github.state.pull("acme/infra", 3);
    expect(await provider.getPullRequest(3)).toMatchObject({ fromFork: false });
    pull.headRepo = { id: 999, fullName: "mallory/infra" };
    expect(await provider.getPullRequest(3)).toMatchObject({
      fromFork: true,
      headRepository: { externalId: "999", fullName: "mallory/infra" },
    });
    pull.headRepo = null;
    expect(await provider.getPullRequest(3)).toMatchObject({ fromFork: true, headRepository: null });
    delete pull.headRepo;
  });

  it("merges only at the sha it was given", async () => {
    const pull = github.state.pull("acme/infra", 3);
    const moved = await provider.mergePullRequest(3, {
      strategy: "squash",
      deleteBranch: false,
      sha: "0".repeat(40),
    });
    expect(moved.merged).toBe(false);
    expect(moved.message).toContain("Head branch was modified");
    expect(pull.merged).toBe(false);
  });

  it("dispatches the workflow and returns the run it created", async () => {
    const result = await provider.dispatchWorkflow({
      workflowFile: "terragate.yml",
      ref: "main",
      inputs: { "work-manifest-id": "x" },
    });
    expect(result.runId).toMatch(/^\d+$/);
    expect(github.state.dispatches.at(-1)?.inputs).toEqual({ "work-manifest-id": "x" });
  });

  it("finds dispatched runs by their title across pages, newest first, created after a moment", async () => {
    const before = new Date(Date.now() - 1000);
    for (let index = 0; index < 105; index++) {
      await provider.dispatchWorkflow({
        workflowFile: "terragate.yml",
        ref: "main",
        inputs: { "work-manifest-id": index < 2 ? "wanted" : `other-${index}` },
      });
    }
    const branchRun = github.state.startWorkflowRun("acme/infra", {
      workflow: "terragate.yml",
      branch: "feature",
      event: "workflow_dispatch",
      inputs: { "work-manifest-id": "wanted" },
    });
    const runs = await provider.findWorkflowRuns({
      workflowFile: "terragate.yml",
      ref: "main",
      title: "terragate wanted",
      createdAfter: before,
    });
    const wanted = github.state.dispatches.filter((d) => d.inputs["work-manifest-id"] === "wanted");
    expect(runs.map((run) => run.runId)).toEqual(wanted.map((d) => String(d.runId)).reverse());
    expect(runs.map((run) => run.runId)).not.toContain(String(branchRun.id));
    const later = await provider.findWorkflowRuns({
      workflowFile: "terragate.yml",
      ref: "main",
      title: "terragate wanted",
      createdAfter: new Date(Date.now() + 60_000),
    });
    expect(later).toEqual([]);
  });

  it("is refused inputs the workflow does not declare, as GitHub refuses them", async () => {
    const error = await provider
      .dispatchWorkflow({
        workflowFile: "terragate.yml",
        ref: "main",
        inputs: { "work-manifest-id": "x", extra: "1" },
      })
      .catch((caught: unknown) => caught);
    expect((error as VcsError).kind).toBe("invalid");
    expect((error as VcsError).message).toContain('Unexpected inputs provided: ["extra"]');
  });

  it("reports a missing workflow file as not_found", async () => {
    const error = await provider
      .dispatchWorkflow({ workflowFile: "absent.yml", ref: "main", inputs: {} })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(VcsError);
    expect((error as VcsError).kind).toBe("not_found");
  });

  it("reports a 502 on dispatch as a retryable server error", async () => {
    github.state.fail({ method: "POST", pathPattern: /dispatches$/, status: 502, times: 1 });
    const error = await provider
      .dispatchWorkflow({ workflowFile: "terragate.yml", ref: "main", inputs: {} })
      .catch((caught: unknown) => caught);
    expect((error as VcsError).kind).toBe("server");
    expect((error as VcsError).retryable).toBe(true);
  });

  it("fails fast with a retryable rate_limited error when the rate limit resets far in the future", async () => {
    github.state.fail({ method: "GET", pathPattern: /\/pulls\/3$/, status: 403, times: 1, rateLimit: true });
    const started = Date.now();
    const error = await provider.getPullRequest(3).catch((caught: unknown) => caught);
    expect((error as VcsError).kind).toBe("rate_limited");
    expect((error as VcsError).retryable).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("creates and completes check runs and lists them as status checks", async () => {
    const sha = github.state.repo("acme/infra").branches.get("feature")!;
    const { id } = await provider.createCheckRun({
      name: "terragate plan: a (default)",
      headSha: sha,
      status: "queued",
      title: "queued",
      summary: "waiting",
    });
    await provider.updateCheckRun(id, {
      status: "completed",
      conclusion: "success",
      title: "+1 ~0 -0",
      summary: "ok",
    });
    const checks = await provider.listStatusChecks(sha);
    expect(checks).toContainEqual({
      name: "terragate plan: a (default)",
      conclusion: "success",
      source: "check_run",
      ownCheck: true,
    });
  });

  it("tells this app's check runs from another app's of the same name", async () => {
    const sha = github.state.repo("acme/infra").branches.get("feature")!;
    github.state.repo("acme/infra").checkRuns.push({
      id: github.state.id(),
      name: "terragate plan: impostor",
      headSha: sha,
      status: "completed",
      conclusion: "failure",
      title: null,
      summary: null,
      text: null,
      detailsUrl: null,
      externalId: null,
      appId: 666,
    });
    const checks = await provider.listStatusChecks(sha);
    expect(checks).toContainEqual({
      name: "terragate plan: impostor",
      conclusion: "failure",
      source: "check_run",
      ownCheck: false,
    });
  });

  it("publishes a check run rendered from 1 MB of output whole: its tail and closing fence arrive", async () => {
    const sha = github.state.repo("acme/infra").branches.get("feature")!;
    const lines = Array.from({ length: 20_000 }, (_, i) => `  + resource "terraform_data" "r${i}" {}`);
    const output = ["FIRST LINE", ...lines, "Plan: 20000 to add, 0 to change, 0 to destroy."].join("\n");
    const report: RunReport = {
      kind: "plan",
      prNumber: 3,
      headSha: sha,
      runUrl: null,
      requestedBy: "alice",
      manifestState: "completed",
      failureReason: null,
      outputsUrl: "https://tg.example.com/outputs",
      dirspaces: [],
    };
    const dirspace: DirspaceReport = {
      dir: "a",
      workspace: "default",
      state: "success",
      hasChanges: true,
      summary: { add: 20_000, change: 0, destroy: 0, import: 0 },
      steps: [{ name: "plan", success: true, exit_code: 0, output }],
    };
    const rendered = renderCheckRun(report, dirspace, platforms.github.limits);
    expect(output.length).toBeGreaterThan(700_000);
    const { id } = await provider.createCheckRun({
      name: rendered.name,
      headSha: sha,
      status: "completed",
      conclusion: rendered.conclusion,
      title: rendered.title,
      summary: rendered.summary,
      text: rendered.text,
    });
    await provider.updateCheckRun(id, {
      title: rendered.title,
      summary: rendered.summary,
      text: rendered.text,
    });
    const stored = github.state.repo("acme/infra").checkRuns.find((run) => String(run.id) === id)!;
    expect(stored.text).toBe(rendered.text);
    expect(stored.text!.endsWith("\nPlan: 20000 to add, 0 to change, 0 to destroy.\n```")).toBe(true);
    expect(stored.text!.length).toBeLessThanOrEqual(65_535);
  });
});
