// GitLab end to end: MR hook → pipeline with inputs → `terragate run` with real terraform → note and statuses → apply.
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gitlabCiSnippet } from "../../src/vcs/gitlab/ci-snippet.ts";
import type { FakeMergeRequest, FakePipeline, FakeProject } from "../fakes/gitlab/state.ts";
import { createGitlabBed, type GitlabBed } from "../gitlab/gitlab-bed.ts";
import { project as hookProject, mergeRequestHook, noteHook, pipelineHook } from "../gitlab/payloads.ts";
import { terragateBin } from "../harness/cli-entry.ts";
import { git, runnerEnv, terraformRoot } from "../runner/runner-fixtures.ts";
import { readState } from "./e2e-bed.ts";

const projectRoot = path.resolve(import.meta.dirname, "../..");

let bed: GitlabBed;
let root: string;
let home: string;
let project: FakeProject;
let groupId: number;
const botToken = "glpat-terragate-bot";

/** Copies a real commit's files into the fake GitLab under the same sha and points `branch` at it. */
async function mirror(branch: string): Promise<string> {
  const sha = await git(root, ["rev-parse", branch]);
  const paths = (await git(root, ["ls-tree", "-r", "--name-only", sha])).split("\n").filter(Boolean);
  const files: Record<string, string> = {};
  for (const file of paths) files[file] = await git(root, ["show", `${sha}:${file}`]);
  bed.gitlab.state.commits.set(sha, files);
  project.branches.set(branch, sha);
  return sha;
}

async function branch(name: string, files: Record<string, string>): Promise<string> {
  await git(root, ["checkout", "-q", "-B", name, "main"]);
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
  await git(root, ["add", "."]);
  await git(root, ["commit", "-q", "-m", `change on ${name}`]);
  const sha = await mirror(name);
  await git(root, ["checkout", "-q", "main"]);
  return sha;
}

function hookProjectOf() {
  return hookProject({ id: project.id, path_with_namespace: project.path });
}

async function sendMergeRequest(
  mergeRequest: FakeMergeRequest,
  action: "open" | "update" | "close" | "merge",
) {
  const response = await bed.send(
    "Merge Request Hook",
    mergeRequestHook({
      action,
      iid: mergeRequest.iid,
      project: hookProjectOf(),
      headSha: mergeRequest.headSha,
      ...(action === "update" ? { oldrev: "0".repeat(39) + "1" } : {}),
    }),
  );
  expect(response.status).toBe(202);
  await bed.work();
}

async function sendNote(mergeRequest: FakeMergeRequest, author: string, body: string) {
  const note = bed.gitlab.state.addNote(mergeRequest, author, body);
  const response = await bed.send(
    "Note Hook",
    noteHook({
      body,
      iid: mergeRequest.iid,
      noteId: note.id,
      author,
      authorId: bed.gitlab.state.user(author).id,
      project: hookProjectOf(),
    }),
  );
  expect(response.status).toBe(202);
  await bed.work();
  return note;
}

function botNote(mergeRequest: FakeMergeRequest, kind: string): string | undefined {
  const botId = bed.gitlab.state.user("terragate_bot").id;
  return mergeRequest.notes.find(
    (note) =>
      note.authorId === botId && note.body.includes(`<!-- terragate:${kind}:pr-${mergeRequest.iid} -->`),
  )?.body;
}

function openMergeRequest(iid: number, sourceBranch: string): FakeMergeRequest {
  return bed.gitlab.state.openMergeRequest(project, { iid, author: "alice", sourceBranch });
}

function lastPipeline(): FakePipeline {
  const pipeline = project.pipelines.at(-1);
  if (!pipeline) throw new Error("no pipeline was created");
  return pipeline;
}

/** `terragate run` as the component's job starts it: inputs as variables, the pipeline's id, cwd = the checkout. */
function startRunner(pipeline: FakePipeline, env: Record<string, string> = {}, entry = terragateBin) {
  const inputs = pipeline.inputs ?? {};
  return execa("node", [entry, "run", "--vcs", "gitlab", "--api-url", bed.url], {
    cwd: root,
    reject: false,
    extendEnv: false,
    env: {
      ...runnerEnv(home),
      GITLAB_CI: "true",
      CI_PIPELINE_ID: String(pipeline.id),
      CI_JOB_ID: String(pipeline.id + 1000),
      TERRAGATE_WORK_MANIFEST_ID: String(inputs["terragate_work_manifest_id"] ?? ""),
      TERRAGATE_WORK_TOKEN: String(inputs["terragate_work_token"] ?? ""),
      ...env,
    },
  });
}

function statusOf(name: string) {
  return project.statuses.filter((status) => status.name === name).at(-1);
}

beforeAll(async () => {
  bed = await createGitlabBed({ http: true });
  const { state } = bed.gitlab;
  const bot = state.addUser("terragate_bot", { bot: true });
  state.addToken(botToken, bot.username);
  for (const name of ["alice", "rita"]) state.addUser(name);
  const group = state.addGroup("acme");
  groupId = group.id;
  group.members.set(bot.id, 50);
  group.members.set(state.user("alice").id, 40);
  group.members.set(state.user("rita").id, 20);
  project = state.addProject("acme/infra");
  project.namesPipelines = true;
  await bed.connect({
    kind: "group",
    id: group.id,
    path: "acme",
    secret: "secret",
    token: botToken,
    botUserId: bot.id,
  });

  const base = await mkdtemp(path.join(tmpdir(), "terragate-gitlab-e2e-"));
  root = path.join(base, "repo");
  home = path.join(base, "home");
  await mkdir(root, { recursive: true });
  await mkdir(home, { recursive: true });
  await git(root, ["init", "-q", "-b", "main"]);
  await writeFile(path.join(root, ".gitlab-ci.yml"), gitlabCiSnippet(bed.url));
  await writeFile(
    path.join(root, ".gitignore"),
    ".terraform/\n*.tfstate\n*.tfstate.*\n.terraform.lock.hcl\n",
  );
  await git(root, ["add", "."]);
  await git(root, ["commit", "-q", "-m", "initial"]);
  await mirror("main");
});

afterAll(async () => {
  await bed?.close();
});

describe("a merge request end to end", { timeout: 120_000 }, () => {
  it("plans on open through a pipeline with inputs, applies on a note, and reports in notes and statuses", async () => {
    await branch("feature-1", { "infra/a/main.tf": terraformRoot("a", 2) });
    const mergeRequest = bed.gitlab.state.openMergeRequest(project, {
      iid: 1,
      author: "alice",
      sourceBranch: "feature-1",
    });
    await sendMergeRequest(mergeRequest, "open");
    const pipeline = lastPipeline();
    expect(pipeline.ref).toBe("main");
    expect(Object.keys(pipeline.inputs ?? {}).sort()).toEqual([
      "terragate_api_url",
      "terragate_work_manifest_id",
      "terragate_work_token",
    ]);
    expect(pipeline.inputs?.["terragate_api_url"]).toBe(bed.url);
    expect(statusOf("terragate plan: infra/a (default)")).toMatchObject({ status: "pending" });

    const planRun = await startRunner(pipeline);
    expect(planRun.exitCode, planRun.stderr).toBe(0);
    await bed.work();
    const planNote = botNote(mergeRequest, "plan");
    expect(planNote).toContain("Plan: 2 to add, 0 to change, 0 to destroy.");
    expect(statusOf("terragate plan: infra/a (default)")).toMatchObject({
      status: "success",
      description: expect.stringContaining("+2 ~0 -0"),
    });

    const command = await sendNote(mergeRequest, "alice", "terragate apply");
    expect(command.awards.map((award) => award.name)).toEqual(["eyes"]);
    const applyPipeline = lastPipeline();
    expect(applyPipeline).not.toBe(pipeline);
    const applyRun = await startRunner(applyPipeline);
    expect(applyRun.exitCode, applyRun.stderr).toBe(0);
    await bed.work();
    expect(botNote(mergeRequest, "apply")).toContain(
      "Apply complete! Resources: 2 added, 0 changed, 0 destroyed.",
    );
    expect(statusOf("terragate apply: infra/a (default)")).toMatchObject({ status: "success" });
    expect((await readState(root, "infra/a")).resources.map((r) => r.name).sort()).toEqual(["r0", "r1"]);
    expect(groupId).toBeGreaterThan(0);
  });

  it("starts a manifest only with an id_token of the pipeline Terragate created, on the protected default branch", async () => {
    await branch("feature-2", { "infra/b/main.tf": terraformRoot("b", 1) });
    const mergeRequest = bed.gitlab.state.openMergeRequest(project, {
      iid: 2,
      author: "alice",
      sourceBranch: "feature-2",
    });
    await sendMergeRequest(mergeRequest, "open");
    const pipeline = lastPipeline();
    const manifestId = String(pipeline.inputs?.["terragate_work_manifest_id"]);
    const other = bed.gitlab.state.addProject("acme/other");
    const idToken = (overrides: Record<string, unknown> = {}, from = project) =>
      bed.gitlab.idTokens.token(from, pipeline, bed.url, overrides);
    const attempts: Array<[string, string, number, string]> = [
      ["another pipeline", await idToken({ pipeline_id: String(pipeline.id + 1) }), 403, "pipeline"],
      ["another project", await idToken({}, other), 403, "for project"],
      ["an unprotected ref", await idToken({ ref_protected: "false" }), 403, "unprotected ref"],
      [
        "a branch's CI configuration",
        await idToken({ ci_config_ref_uri: `x/${project.path}//.gitlab-ci.yml@refs/heads/feature-2` }),
        403,
        "ci_config_ref_uri",
      ],
      [
        "another audience",
        await bed.gitlab.idTokens.token(project, pipeline, "https://evil.example.com"),
        401,
        "audience",
      ],
    ];
    for (const [what, token, status, message] of attempts) {
      const response = await fetch(`${bed.url}/api/gitlab/v1/work-manifests/${manifestId}/initiate`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ run_id: String(pipeline.id), sha: mergeRequest.headSha }),
      });
      expect({ what, status: response.status }).toEqual({ what, status });
      expect(await response.text()).toContain(message);
    }

    // The component's job: the downloaded one-file runner, TERRAGATE_ID_TOKEN, no work token.
    const run = await startRunner(
      pipeline,
      { TERRAGATE_WORK_TOKEN: "", TERRAGATE_ID_TOKEN: await idToken() },
      path.join(projectRoot, "action/dist/terragate-run.js"),
    );
    expect(run.exitCode, run.stderr).toBe(0);
    await bed.work();
    expect(botNote(mergeRequest, "plan")).toContain("Plan: 1 to add, 0 to change, 0 to destroy.");
  });
  it("refuses an apply of a plan made before the latest push", async () => {
    await branch("feature-3", { "infra/c/main.tf": terraformRoot("c", 1) });
    const mergeRequest = openMergeRequest(3, "feature-3");
    await sendMergeRequest(mergeRequest, "open");
    expect((await startRunner(lastPipeline())).exitCode).toBe(0);
    await bed.work();

    // A push whose hook is still on its way: the plan on record is for the previous head.
    await git(root, ["checkout", "-q", "feature-3"]);
    await writeFile(path.join(root, "infra/c/main.tf"), terraformRoot("c", 2));
    await git(root, ["commit", "-q", "-am", "second commit"]);
    await git(root, ["checkout", "-q", "main"]);
    mergeRequest.headSha = await mirror("feature-3");
    const pipelines = project.pipelines.length;
    await sendNote(mergeRequest, "alice", "terragate apply");
    expect(project.pipelines.length).toBe(pipelines);
    expect(botNote(mergeRequest, "refusal")).toMatch(/made for .*`terragate plan`|terragate plan/s);
    expect(botNote(mergeRequest, "refusal")).toContain(mergeRequest.headSha.slice(0, 7));
  });

  it("refuses an apply on a dirspace another MR holds the lock of, naming that MR", async () => {
    // !1 applied infra/a: under lock_policy apply it holds the lock until it merges.
    await branch("feature-4", { "infra/a/main.tf": terraformRoot("a", 3) });
    const mergeRequest = openMergeRequest(4, "feature-4");
    await sendMergeRequest(mergeRequest, "open");
    expect((await startRunner(lastPipeline())).exitCode).toBe(0);
    await bed.work();
    const pipelines = project.pipelines.length;
    await sendNote(mergeRequest, "alice", "terragate apply");
    expect(project.pipelines.length).toBe(pipelines);
    expect(botNote(mergeRequest, "refusal")).toMatch(/lock/i);
    expect(botNote(mergeRequest, "refusal")).toContain("!1");
  });

  it("refuses a command from a member with read access only (Reporter)", async () => {
    await branch("feature-5", { "infra/d/main.tf": terraformRoot("d", 1) });
    const mergeRequest = openMergeRequest(5, "feature-5");
    const pipelines = project.pipelines.length;
    await sendNote(mergeRequest, "rita", "terragate plan");
    expect(project.pipelines.length).toBe(pipelines);
    expect(botNote(mergeRequest, "refusal")).toContain("rita");
  });

  it("runs nothing for an MR from a fork", async () => {
    const fork = bed.gitlab.state.addProject("mallory/infra");
    const sha = await branch("feature-6", { "infra/e/main.tf": terraformRoot("e", 1) });
    fork.branches.set("feature-6", sha);
    const mergeRequest = openMergeRequest(6, "feature-6");
    mergeRequest.sourceProjectId = fork.id;
    const pipelines = project.pipelines.length;
    await sendMergeRequest(mergeRequest, "open");
    await sendNote(mergeRequest, "alice", "terragate plan");
    expect(project.pipelines.length).toBe(pipelines);
    expect(botNote(mergeRequest, "refusal")).toMatch(/fork/);
  });

  it("answers a hook with a wrong token 401 and stores nothing", async () => {
    const before = await bed.database.client.sql`select count(*)::int as n from webhook_deliveries`;
    const response = await bed.send(
      "Merge Request Hook",
      mergeRequestHook({ action: "open", project: hookProjectOf() }),
      {
        token: "not-the-secret",
      },
    );
    expect(response.status).toBe(401);
    const after = await bed.database.client.sql`select count(*)::int as n from webhook_deliveries`;
    expect(after[0]!["n"]).toBe(before[0]!["n"]);
  });

  it("answers a broken config with a note naming the line and column", async () => {
    await branch("feature-7", {
      "infra/f/main.tf": terraformRoot("f", 1),
      ".terragate/config.yml": "version: 1\nworkflows: [\n  - tag_query: ''\n",
    });
    const mergeRequest = openMergeRequest(7, "feature-7");
    const pipelines = project.pipelines.length;
    await sendMergeRequest(mergeRequest, "open");
    expect(project.pipelines.length).toBe(pipelines);
    expect(botNote(mergeRequest, "config-error")).toMatch(/\.terragate\/config\.yml.*\d+:\d+/s);
  });

  it("fails the statuses and releases the lock of a pipeline that was canceled", async () => {
    await branch("feature-8", { "infra/g/main.tf": terraformRoot("g", 1) });
    const mergeRequest = openMergeRequest(8, "feature-8");
    await sendMergeRequest(mergeRequest, "open");
    expect((await startRunner(lastPipeline())).exitCode).toBe(0);
    await bed.work();
    await sendNote(mergeRequest, "alice", "terragate apply");
    const applyPipeline = lastPipeline();
    const locked = await bed.database.client.sql`select dir from locks where dir = 'infra/g'`;
    expect([...locked]).toEqual([{ dir: "infra/g" }]);

    const response = await bed.send(
      "Pipeline Hook",
      pipelineHook({
        id: applyPipeline.id,
        status: "canceled",
        project: hookProjectOf(),
        sha: applyPipeline.sha,
      }),
    );
    expect(response.status).toBe(202);
    await bed.work();
    expect(statusOf("terragate apply: infra/g (default)")).toMatchObject({ status: "failed" });
    expect([...(await bed.database.client.sql`select dir from locks where dir = 'infra/g'`)]).toEqual([]);
    expect(botNote(mergeRequest, "apply")).toMatch(/canceled|cancelled/);
  });
});
