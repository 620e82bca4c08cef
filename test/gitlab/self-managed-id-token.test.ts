// Two GitLab instances on one server: each installation's id_tokens are verified against the instance it was
// connected on (`--url`), its JWKS and issuer, never against GITLAB_URL alone, and a token of one instance starts nothing on the other.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gitlabCiSnippet } from "../../src/vcs/gitlab/ci-snippet.ts";
import { FakeGitlabIdTokens } from "../fakes/gitlab/oidc.ts";
import { type FakeGitlab, startFakeGitlab } from "../fakes/gitlab/server.ts";
import type { FakeMergeRequest, FakePipeline, FakeProject } from "../fakes/gitlab/state.ts";
import { adminToken, createGitlabBed, type GitlabBed } from "./gitlab-bed.ts";
import { project as hookProject, mergeRequestHook } from "./payloads.ts";

let bed: GitlabBed;
/** A self-managed GitLab that is not GITLAB_URL. */
let selfManaged: FakeGitlab;

interface Connected {
  instance: FakeGitlab;
  project: FakeProject;
  mergeRequest: FakeMergeRequest;
  pipeline: FakePipeline;
}

/** Connects `group` on `instance` through the API and opens an MR there; returns the pipeline Terragate created. */
async function connectAndOpen(instance: FakeGitlab, group: string): Promise<Connected> {
  const { state } = instance;
  const bot = state.addUser(`${group}_bot`, { bot: true });
  state.addToken(`glpat-${group}`, bot.username);
  state.addUser("alice");
  const namespace = state.addGroup(group);
  namespace.members.set(bot.id, 50);
  namespace.members.set(state.user("alice").id, 40);
  const files = { ".gitlab-ci.yml": gitlabCiSnippet(bed.url), "infra/main.tf": "# one\n" };
  const project = state.addProject(`${group}/infra`, { files });
  state.commit(project, "feature", { ...files, "infra/main.tf": "# two\n" });
  const connected = await bed.app.request("/api/v1/gitlab/installations", {
    method: "POST",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ url: instance.url, group, token: `glpat-${group}` }),
  });
  expect(connected.status, await connected.clone().text()).toBe(201);
  const mergeRequest = state.openMergeRequest(project, { iid: 1, author: "alice", sourceBranch: "feature" });
  const secret = namespace.hooks[0]?.token ?? "";
  const hook = mergeRequestHook({
    action: "open",
    iid: 1,
    project: hookProject({ id: project.id, path_with_namespace: project.path }),
    headSha: mergeRequest.headSha,
  });
  expect((await bed.send("Merge Request Hook", hook, { token: secret })).status).toBe(202);
  await bed.work();
  const pipeline = project.pipelines.at(-1);
  if (!pipeline) throw new Error(`no pipeline was created on ${instance.url}`);
  return { instance, project, mergeRequest, pipeline };
}

function initiate(run: Connected, idToken: string): Promise<Response> {
  const manifestId = String(run.pipeline.inputs?.["terragate_work_manifest_id"]);
  return Promise.resolve(
    bed.app.request(`/api/gitlab/v1/work-manifests/${manifestId}/initiate`, {
      method: "POST",
      headers: { authorization: `Bearer ${idToken}`, "content-type": "application/json" },
      body: JSON.stringify({ run_id: String(run.pipeline.id), sha: run.mergeRequest.headSha }),
    }),
  );
}

let onDefault: Connected;
let onSelfManaged: Connected;

beforeAll(async () => {
  bed = await createGitlabBed();
  selfManaged = await startFakeGitlab();
  // Installations are keyed by GitLab's numeric id, which two instances may share (connecting such a
  // pair is refused with a 409 that says so): the second instance's ids start elsewhere.
  for (let skipped = 0; skipped < 1000; skipped++) selfManaged.state.id();
  onDefault = await connectAndOpen(bed.gitlab, "acme");
  onSelfManaged = await connectAndOpen(selfManaged, "ops");
});

afterAll(async () => {
  await bed?.close();
  await selfManaged?.close();
});

describe("id_tokens of a self-managed GitLab connected with --url", () => {
  it("are verified with that instance's JWKS and issuer, and the manifest clones from that instance", async () => {
    expect(selfManaged.url).not.toBe(bed.config.GITLAB_URL);
    const token = await selfManaged.idTokens.token(onSelfManaged.project, onSelfManaged.pipeline, bed.url);
    const response = await initiate(onSelfManaged, token);
    const answer = (await response.json()) as { repository?: { clone_url: string }; error?: string };
    expect(response.status, JSON.stringify(answer)).toBe(200);
    expect(answer.repository?.clone_url).toBe(`${selfManaged.url}/ops/infra.git`);
  });

  it("still verify GITLAB_URL's installations with GITLAB_URL's keys", async () => {
    const token = await bed.gitlab.idTokens.token(onDefault.project, onDefault.pipeline, bed.url);
    const response = await initiate(onDefault, token);
    expect(response.status, await response.clone().text()).toBe(200);
    expect(((await response.json()) as { repository: { clone_url: string } }).repository.clone_url).toBe(
      `${bed.gitlab.url}/acme/infra.git`,
    );
  });

  it("refuse a token of the other instance, even with the very claims of the pipeline", async () => {
    const fresh = await connectAndOpenAgain();
    // Signed by GITLAB_URL's keys for the self-managed project's pipeline: wrong issuer and keys.
    const fromDefault = await bed.gitlab.idTokens.token(fresh.project, fresh.pipeline, bed.url);
    const refused = await initiate(fresh, fromDefault);
    expect(refused.status).toBe(401);
    const reason = await refused.text();
    expect(reason).toMatch(/OIDC token was rejected/);
    // Said in GitLab's terms, for the person reading the job log.
    expect(reason).toContain("id_tokens");
    expect(reason).toContain(selfManaged.url);
    expect(reason).not.toContain("id-token: write");
    // A token naming the self-managed instance as its issuer but signed with keys it does not publish.
    const impostor = new FakeGitlabIdTokens(selfManaged.url);
    const forged = await initiate(fresh, await impostor.token(fresh.project, fresh.pipeline, bed.url));
    expect(forged.status).toBe(401);
    // The instance's own token for that pipeline starts it.
    const accepted = await initiate(
      fresh,
      await selfManaged.idTokens.token(fresh.project, fresh.pipeline, bed.url),
    );
    expect(accepted.status, await accepted.clone().text()).toBe(200);
  });
});

/** A new MR on the self-managed instance: a manifest not started yet. */
async function connectAndOpenAgain(): Promise<Connected> {
  const { state } = selfManaged;
  const project = onSelfManaged.project;
  state.commit(project, "feature-2", { ...state.tree(project, "main"), "infra/main.tf": "# three\n" });
  const mergeRequest = state.openMergeRequest(project, {
    iid: 2,
    author: "alice",
    sourceBranch: "feature-2",
  });
  const secret = state.group("ops")?.hooks[0]?.token ?? "";
  const hook = mergeRequestHook({
    action: "open",
    iid: 2,
    project: hookProject({ id: project.id, path_with_namespace: project.path }),
    headSha: mergeRequest.headSha,
  });
  expect((await bed.send("Merge Request Hook", hook, { token: secret })).status).toBe(202);
  await bed.work();
  const pipeline = project.pipelines.at(-1)!;
  expect(pipeline).not.toBe(onSelfManaged.pipeline);
  return { instance: selfManaged, project, mergeRequest, pipeline };
}
