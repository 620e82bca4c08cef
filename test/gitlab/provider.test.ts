// The GitLab VcsProvider through the real gitbeaker client against the fake GitLab API.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { listApprovalRules } from "../../src/vcs/gitlab/approval-rules.ts";
import { createGitlabClient } from "../../src/vcs/gitlab/client.ts";
import { parseStatusId } from "../../src/vcs/gitlab/ids.ts";
import { createGitlabProvider } from "../../src/vcs/gitlab/provider.ts";
import { VcsError, type VcsProvider } from "../../src/vcs/types.ts";
import { type FakeGitlab, startFakeGitlab } from "../fakes/gitlab/server.ts";
import type { FakeMergeRequest, FakeProject } from "../fakes/gitlab/state.ts";

let gitlab: FakeGitlab;
let project: FakeProject;
let mergeRequest: FakeMergeRequest;
let provider: VcsProvider;
let botId: number;

const ciConfig = "spec:\n  inputs:\n    terragate_work_manifest_id: { default: '' }\n---\ninclude: []\n";

function providerWith(token: string, attempts = 3): VcsProvider {
  const client = createGitlabClient({ url: gitlab.url, token, retry: { attempts, baseDelayMs: 1 } });
  return createGitlabProvider({
    client,
    projectId: String(project.id),
    projectPath: project.path,
    botUserId: botId,
  });
}

beforeAll(async () => {
  gitlab = await startFakeGitlab();
  const { state } = gitlab;
  const bot = state.addUser("group_7_bot_abc", { bot: true });
  botId = bot.id;
  state.addToken("glpat-bot", bot.username);
  for (const name of ["alice", "bob", "carol", "dave", "erin", "mallory"]) state.addUser(name);
  const group = state.addGroup("acme");
  const sre = state.addGroup("acme/sre");
  state.addGroup("acme/platform");
  group.members.set(bot.id, 50);
  group.members.set(carol(), 40);
  sre.members.set(state.user("dave").id, 30);
  project = state.addProject("acme/platform/infra", {
    files: { "a/main.tf": "", "b/main.tf": "", ".gitlab-ci.yml": ciConfig },
  });
  project.members.set(state.user("alice").id, 30);
  project.members.set(state.user("bob").id, 20);
  project.members.set(state.user("erin").id, 50);
  const changed: Record<string, string> = {
    ".gitlab-ci.yml": ciConfig,
    "a/main.tf": "# changed",
    "b/main.tf": "",
  };
  for (let index = 0; index < 250; index += 1) changed[`dir${index}/main.tf`] = "";
  state.commit(project, "feature", changed);
  mergeRequest = state.openMergeRequest(project, { iid: 3, author: "alice", sourceBranch: "feature" });
  provider = providerWith("glpat-bot");
});

function carol(): number {
  return gitlab.state.user("carol").id;
}

afterAll(async () => {
  await gitlab.close();
});

beforeEach(() => {
  gitlab.state.failures = [];
});

describe("GitLab provider: repository", () => {
  it("reads a file at a ref, and null for a missing file or ref", async () => {
    expect(await provider.getFile("a/main.tf", "feature")).toBe("# changed");
    expect(await provider.getFile("nope.tf", "feature")).toBeNull();
    expect(await provider.getFile("a/main.tf", "no-such-branch")).toBeNull();
  });

  it("lists every blob of the tree through keyset pages", async () => {
    const paths = await provider.listTree(mergeRequest.headSha);
    expect(paths).toHaveLength(253);
    expect(paths).toContain("dir249/main.tf");
    expect(
      gitlab.state.requests.filter((request) => request.path.endsWith("/repository/tree")).length,
    ).toBeGreaterThanOrEqual(3);
  });

  it("lists a merge request's changed files across diff pages", async () => {
    const files = await provider.listChangedFiles(3);
    expect(new Set(files)).toEqual(
      new Set(["a/main.tf", ...Array.from({ length: 250 }, (_, index) => `dir${index}/main.tf`)]),
    );
  });

  it("compares the trees when GitLab's diff overflowed (changes_count 100+)", async () => {
    mergeRequest.diffLimit = 100;
    try {
      const files = await provider.listChangedFiles(3);
      expect(files).toHaveLength(251);
      expect(files).toContain("dir249/main.tf");
    } finally {
      mergeRequest.diffLimit = 1000;
    }
  });
});

describe("GitLab provider: merge requests and people", () => {
  it("reads the MR with its base, head and mergeability from detailed_merge_status", async () => {
    expect(await provider.getPullRequest(3)).toEqual({
      number: 3,
      state: "open",
      draft: false,
      title: "Change feature",
      author: "alice",
      baseRef: "main",
      baseSha: mergeRequest.baseSha,
      headRef: "feature",
      headSha: mergeRequest.headSha,
      mergeable: true,
      headRepository: { externalId: String(project.id), fullName: project.path },
      fromFork: false,
    });
    mergeRequest.detailedMergeStatus = "checking";
    expect((await provider.getPullRequest(3)).mergeable).toBeNull();
    mergeRequest.detailedMergeStatus = "conflict";
    mergeRequest.hasConflicts = true;
    expect((await provider.getPullRequest(3)).mergeable).toBe(false);
    mergeRequest.detailedMergeStatus = "mergeable";
    mergeRequest.hasConflicts = false;
  });

  it("reads a fork's source project, and a deleted fork as none", async () => {
    const fork = gitlab.state.addProject("mallory/infra");
    fork.members.set(botId, 20);
    mergeRequest.sourceProjectId = fork.id;
    expect(await provider.getPullRequest(3)).toMatchObject({
      fromFork: true,
      headRepository: { externalId: String(fork.id), fullName: "mallory/infra" },
    });
    gitlab.state.projects.delete(fork.id);
    expect(await provider.getPullRequest(3)).toMatchObject({ fromFork: true, headRepository: null });
    mergeRequest.sourceProjectId = project.id;
  });

  it("maps member access levels, inherited from groups, to roles", async () => {
    expect(await provider.getUserPermission("alice")).toBe("write");
    expect(await provider.getUserPermission("bob")).toBe("read");
    expect(await provider.getUserPermission("carol")).toBe("maintain");
    expect(await provider.getUserPermission("erin")).toBe("admin");
    expect(await provider.getUserPermission("mallory")).toBe("none");
    expect(await provider.getUserPermission("nobody-at-all")).toBe("none");
  });

  it("answers team membership for a group or subgroup path, inherited from parent groups", async () => {
    expect(await provider.isTeamMember("acme/sre", "dave")).toBe(true);
    expect(await provider.isTeamMember("sre", "dave")).toBe(true);
    expect(await provider.isTeamMember("acme/sre", "carol")).toBe(true);
    expect(await provider.isTeamMember("acme/sre", "alice")).toBe(false);
    expect(await provider.isTeamMember("no/such/group", "dave")).toBe(false);
  });

  it("dates each approval to the head it was given on", async () => {
    const before = new Date(Date.now() - 30_000);
    gitlab.state.approve(mergeRequest, "carol", before);
    const oldHead = mergeRequest.headSha;
    const newHead = gitlab.state.push(
      project,
      mergeRequest,
      { ...gitlab.state.tree(project, oldHead), "c/main.tf": "" },
      new Date(Date.now() - 10_000),
    );
    gitlab.state.approve(mergeRequest, "dave");
    const reviews = await provider.listReviews(3);
    expect(reviews).toEqual([
      expect.objectContaining({ author: "carol", state: "approved", commitSha: oldHead }),
      expect.objectContaining({ author: "dave", state: "approved", commitSha: newHead }),
    ]);
  });
});

describe("GitLab approval rules", () => {
  it("reads each rule and whether it is satisfied, and none on GitLab Free", async () => {
    const client = createGitlabClient({ url: gitlab.url, token: "glpat-bot" });
    expect(await listApprovalRules(client, String(project.id), 3)).toEqual([]);
    mergeRequest.approvalRules = [
      { name: "Security", approvalsRequired: 1, eligible: ["carol"] },
      { name: "Platform", approvalsRequired: 2, eligible: ["dave", "erin"] },
    ];
    try {
      expect(await listApprovalRules(client, String(project.id), 3)).toEqual([
        { name: "Security", approved: true, approvalsRequired: 1 },
        { name: "Platform", approved: false, approvalsRequired: 2 },
      ]);
    } finally {
      delete mergeRequest.approvalRules;
    }
  });
});

describe("GitLab provider: notes and emoji", () => {
  it("upserts its own note by marker, leaving other people's notes alone", async () => {
    const marker = "<!-- terragate:plan:pr-3 -->";
    gitlab.state.addNote(mergeRequest, "mallory", `${marker}\nfake plan from someone else`);
    const first = await provider.upsertComment(3, marker, "plan one");
    const second = await provider.upsertComment(3, marker, `${marker}\nplan two`);
    expect(second.id).toBe(first.id);
    const bodies = mergeRequest.notes.map((note) => note.body);
    expect(bodies).toContain(`${marker}\nplan two`);
    expect(bodies).toContain(`${marker}\nfake plan from someone else`);
    expect(bodies.filter((body) => body.includes(marker))).toHaveLength(2);
  });

  it("keeps a note within GitLab's 1,000,000 characters", async () => {
    const { id } = await provider.createComment(3, "x".repeat(1_200_000));
    const note = mergeRequest.notes.find((candidate) => id.endsWith(`:${candidate.id}`));
    expect(note?.body.length).toBeLessThanOrEqual(1_000_000);
    expect(note?.body.endsWith("(truncated)")).toBe(true);
  });

  it("awards 👀 on the command note once, however often it is asked", async () => {
    const command = gitlab.state.addNote(mergeRequest, "alice", "terragate plan");
    await provider.addReaction(`3:${command.id}`, "eyes");
    await provider.addReaction(`3:${command.id}`, "eyes");
    expect(command.awards.map((award) => award.name)).toEqual(["eyes"]);
  });
});

describe("GitLab provider: commit statuses", () => {
  it("creates a status per dirspace and moves it through running to success with its link", async () => {
    const sha = mergeRequest.headSha;
    const name = "terragate plan: infra/a (default)";
    const { id } = await provider.createCheckRun({
      name,
      headSha: sha,
      status: "queued",
      title: "queued",
      summary: "",
    });
    expect(parseStatusId(id)).toEqual({ sha, name });
    await provider.updateCheckRun(id, { status: "in_progress", detailsUrl: "https://ci.example.com/1" });
    await provider.updateCheckRun(id, { status: "in_progress" });
    await provider.updateCheckRun(id, { status: "completed", conclusion: "success", title: "+3 ~0 -0" });
    const statuses = project.statuses.filter((status) => status.name === name);
    expect(statuses).toHaveLength(1);
    expect(statuses[0]).toMatchObject({
      status: "success",
      description: "+3 ~0 -0",
      targetUrl: "https://ci.example.com/1",
    });
  });

  it("clips a description to GitLab's 255 characters", async () => {
    await provider.createCheckRun({
      name: "terragate plan: long",
      headSha: mergeRequest.headSha,
      status: "completed",
      conclusion: "failure",
      title: "e".repeat(400),
      summary: "",
    });
    const status = project.statuses.find((candidate) => candidate.name === "terragate plan: long");
    expect(status?.status).toBe("failed");
    expect(status?.description?.length).toBeLessThanOrEqual(255);
  });

  it("lists the latest status per name, and a pipeline that failed on its YAML", async () => {
    const sha = mergeRequest.headSha;
    const ci = gitlab.state.user("alice").id;
    const other = {
      ...project.statuses[0]!,
      id: gitlab.state.id(),
      name: "lint",
      status: "failed",
      sha,
      authorId: ci,
    };
    project.statuses.push(other);
    project.pipelines.push({
      id: gitlab.state.id(),
      sha,
      ref: "feature",
      status: "failed",
      source: "push",
      inputs: undefined,
      variables: undefined,
      yamlErrors: "jobs:lint config contains unknown keys",
    });
    const checks = await provider.listStatusChecks(sha);
    expect(checks).toContainEqual({ name: "lint", conclusion: "failure", source: "status", ownCheck: false });
    // Terragate's own statuses are told apart by who posted them, never by their name.
    expect(checks).toContainEqual({
      name: "terragate plan: infra/a (default)",
      conclusion: "success",
      source: "status",
      ownCheck: true,
    });
    expect(checks).toContainEqual({
      name: "gitlab pipeline",
      conclusion: "failure",
      source: "status",
      ownCheck: false,
    });
  });
});

describe("GitLab provider: dispatch and merge", () => {
  const dispatch = {
    workflowFile: "terragate.yml",
    ref: "main",
    inputs: {
      "work-manifest-id": "wm-1",
      "api-base-url": "https://terragate.example.com",
      "work-token": "tok",
    },
  };

  it("creates a pipeline on the default branch with the manifest as spec:inputs", async () => {
    const result = await provider.dispatchWorkflow(dispatch);
    const pipeline = project.pipelines.at(-1)!;
    expect(result).toEqual({
      runId: String(pipeline.id),
      runUrl: `${gitlab.url}/${project.path}/-/pipelines/${pipeline.id}`,
    });
    expect(pipeline).toMatchObject({
      ref: "main",
      inputs: {
        terragate_work_manifest_id: "wm-1",
        terragate_api_url: "https://terragate.example.com",
        terragate_work_token: "tok",
      },
      variables: undefined,
    });
  });

  it("falls back to pipeline variables when the CI config declares no inputs", async () => {
    project.declaresInputs = false;
    project.pipelineVariablesRole = "developer";
    try {
      await provider.dispatchWorkflow(dispatch);
      expect(project.pipelines.at(-1)?.variables).toContainEqual({
        key: "TERRAGATE_WORK_MANIFEST_ID",
        value: "wm-1",
        variable_type: "env_var",
      });
    } finally {
      project.declaresInputs = true;
      project.pipelineVariablesRole = "no_one_allowed";
    }
  });

  it("names the project setting when GitLab refuses both inputs and variables", async () => {
    project.declaresInputs = false;
    const count = project.pipelines.length;
    try {
      const error = await provider.dispatchWorkflow(dispatch).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(VcsError);
      expect((error as VcsError).message).toMatch(/Minimum role to use pipeline variables/);
      expect((error as VcsError).message).toMatch(/terragate_work_manifest_id/);
      expect(project.pipelines).toHaveLength(count);
    } finally {
      project.declaresInputs = true;
    }
  });

  it("finds the pipeline a dispatch created from its name, newest first, and none of another manifest", async () => {
    project.namesPipelines = true;
    const since = new Date(Date.now() - 1000);
    try {
      const first = await provider.dispatchWorkflow(dispatch);
      const second = await provider.dispatchWorkflow(dispatch);
      await provider.dispatchWorkflow({
        ...dispatch,
        inputs: { ...dispatch.inputs, "work-manifest-id": "wm-2" },
      });
      const query = {
        workflowFile: "terragate.yml",
        ref: "main",
        title: "terragate wm-1",
        createdAfter: since,
      };
      expect((await provider.findWorkflowRuns(query)).map((run) => run.runId)).toEqual([
        second.runId,
        first.runId,
      ]);
      expect(
        await provider.findWorkflowRuns({ ...query, createdAfter: new Date(Date.now() + 60_000) }),
      ).toEqual([]);
    } finally {
      project.namesPipelines = false;
    }
  });

  it("merges only at the applied sha, and reports a refusal instead of throwing", async () => {
    const stale = await provider.mergePullRequest(3, {
      strategy: "squash",
      deleteBranch: true,
      sha: "0".repeat(40),
    });
    expect(stale.merged).toBe(false);
    expect(stale.message).toMatch(/SHA does not match HEAD/);
    expect(mergeRequest.state).toBe("opened");
    const head = mergeRequest.headSha;
    expect(await provider.mergePullRequest(3, { strategy: "squash", deleteBranch: true, sha: head })).toEqual(
      {
        merged: true,
        message: "merged !3",
      },
    );
    expect(mergeRequest.mergedWith).toEqual({ sha: head, squash: true, removeSourceBranch: true });
    expect(
      (await provider.mergePullRequest(3, { strategy: "merge", deleteBranch: false, sha: head })).merged,
    ).toBe(false);
    mergeRequest.state = "opened";
  });
});

describe("GitLab provider: failures", () => {
  it("retries 5xx and 429 with backoff and then succeeds", async () => {
    gitlab.state.fail({ method: "GET", pathPattern: /merge_requests\/3$/, status: 503, times: 2 });
    gitlab.state.fail({ method: "GET", pathPattern: /approvals$/, status: 429, times: 1, retryAfter: 0 });
    expect((await provider.getPullRequest(3)).number).toBe(3);
    expect(await provider.listReviews(3)).not.toHaveLength(0);
  });

  it("gives up after its attempts with a retryable server error", async () => {
    gitlab.state.fail({ method: "GET", pathPattern: /merge_requests\/3$/, status: 500, times: 10 });
    const error = await providerWith("glpat-bot", 2)
      .getPullRequest(3)
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ kind: "server", status: 500, retryable: true });
  });

  it("maps a revoked token to an unauthorized error that says how to reconnect", async () => {
    gitlab.state.addToken("glpat-revoked", "group_7_bot_abc", { revoked: true });
    const error = await providerWith("glpat-revoked")
      .getPullRequest(3)
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ kind: "unauthorized", status: 401, retryable: false });
    expect((error as Error).message).toMatch(/terragate gitlab connect/);
    gitlab.state.addToken("glpat-expired", "group_7_bot_abc", { expiresAt: "2020-01-01" });
    expect(
      await providerWith("glpat-expired")
        .getFile("a/main.tf", "main")
        .catch((caught: unknown) => caught),
    ).toMatchObject({
      kind: "unauthorized",
    });
  });
});
