// Runner identity as an attacker tries it: OIDC tokens of other runs, workflows and branches; a second initiate; stale tokens.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { pullRequests, workManifests } from "../../src/db/schema/index.ts";
import { type FakeGithub, startFakeGithub } from "../fakes/github/server.ts";
import type { FakeRepo, FakeWorkflowRun } from "../fakes/github/state.ts";
import { createTestDatabase, type TestDatabase } from "../harness/database.ts";
import {
  type InsertedManifest,
  insertManifest,
  startTestServer,
  type TestServer,
} from "./runner-fixtures.ts";

const sha = "a".repeat(40);
let database: TestDatabase;
let github: FakeGithub;
let server: TestServer;
let repo: FakeRepo;

beforeAll(async () => {
  database = await createTestDatabase();
  github = await startFakeGithub();
  // GHE_HOST alone points the OIDC issuer at https://GHE_HOST/_services/token, where the fake serves it.
  server = await startTestServer(database.client, {
    GHE_HOST: new URL(github.url).host,
    GHE_PROTOCOL: "http",
  });
});

afterAll(async () => {
  await server?.close();
  await github?.close();
  await database?.close();
});

beforeEach(async () => {
  await database.reset();
  github.state.repos.clear();
  github.state.workflowRuns.length = 0;
  repo = github.state.addRepo({ owner: "acme", name: "infra", installationId: 42 });
  const workflows = {
    ".github/workflows/terragate.yml": "name: terragate\non: workflow_dispatch\n",
    ".github/workflows/evil.yml": "name: evil\non: [push, workflow_dispatch]\n",
  };
  github.state.commit("acme/infra", "main", workflows);
  github.state.commit("acme/infra", "feature", workflows);
});

/** A manifest Terragate dispatched to a new run of terragate.yml on main, as dispatch-run records it. */
async function dispatched(): Promise<{ inserted: InsertedManifest; run: FakeWorkflowRun }> {
  const run = github.state.startWorkflowRun("acme/infra", {
    workflow: "terragate.yml",
    branch: "main",
    event: "workflow_dispatch",
  });
  const inserted = await insertManifest(database.client, {
    kind: "plan",
    dirspaces: [{ dir: "infra/a" }],
    baseSha: sha,
    headSha: sha,
    repoExternalId: String(repo.id),
    repoFullName: "acme/infra",
    runId: String(run.id),
  });
  return { inserted, run };
}

async function initiate(id: string, token: string, runId: string) {
  const response = await fetch(`${server.url}/api/github/v1/work-manifests/${id}/initiate`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ run_id: runId, sha }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  return { status: response.status, body, error: String(body["error"] ?? "") };
}

async function manifestRow(id: string) {
  const [row] = await database.client.db.select().from(workManifests).where(eq(workManifests.id, id));
  return row!;
}

function otherRun(workflow: string, branch: string, event = "workflow_dispatch"): FakeWorkflowRun {
  return github.state.startWorkflowRun("acme/infra", { workflow, branch, event, actor: "mallory" });
}

describe("runner identity", () => {
  it("starts a manifest only with an OIDC token of the very run Terragate dispatched", async () => {
    const { inserted, run } = await dispatched();
    const id = inserted.manifestId;
    const attempts: Array<[string, string, number, string]> = [
      [
        "another run of terragate.yml",
        await github.oidcToken(otherRun("terragate.yml", "main").id, server.url),
        403,
        "Terragate dispatched run",
      ],
      [
        "another workflow file",
        await github.oidcToken(otherRun("evil.yml", "main").id, server.url),
        403,
        "evil.yml",
      ],
      [
        "a branch's terragate.yml",
        await github.oidcToken(otherRun("terragate.yml", "feature").id, server.url),
        403,
        "@refs/heads/feature",
      ],
      [
        "a push run",
        await github.oidcToken(otherRun("terragate.yml", "main", "push").id, server.url),
        403,
        "push event",
      ],
      ["another audience", await github.oidcToken(run.id, "https://evil.example.com"), 401, "audience"],
    ];
    for (const [what, token, status, message] of attempts) {
      const refused = await initiate(id, token, String(run.id));
      expect({ what, status: refused.status }).toEqual({ what, status });
      expect(refused.error).toContain(message);
    }
    expect((await manifestRow(id)).state).toBe("dispatched");

    const own = await initiate(id, await github.oidcToken(run.id, server.url), String(run.id));
    expect(own.status).toBe(200);
    expect(own.body["type"]).toBe("manifest");
    expect(await manifestRow(id)).toMatchObject({ state: "running", runId: String(run.id) });
  });

  it("a second initiate gets 409 and leaves the run that started the manifest alone", async () => {
    const { inserted, run } = await dispatched();
    const id = inserted.manifestId;
    const first = await initiate(id, await github.oidcToken(run.id, server.url), String(run.id));
    expect(first.status).toBe(200);
    // Even when the PR has moved since, the second call must not abort the running manifest.
    await database.client.db
      .update(pullRequests)
      .set({ headSha: "b".repeat(40) })
      .where(eq(pullRequests.id, inserted.pullRequestId));
    const second = await initiate(id, await github.oidcToken(run.id, server.url), String(run.id));
    expect(second.status).toBe(409);
    expect(second.error).toContain(`already started by run ${run.id}`);
    expect(await manifestRow(id)).toMatchObject({ state: "running", runId: String(run.id) });

    const results = await fetch(`${server.url}/api/github/v1/work-manifests/${id}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${first.body["token"]}`, "content-type": "application/json" },
      body: JSON.stringify({
        dirspaces: [{ dir: "infra/a", workspace: "default", success: true, steps: [] }],
      }),
    });
    expect(results.status).toBe(200);
    expect((await manifestRow(id)).state).toBe("completed");
  });

  it("the work token stops working once the manifest started by OIDC", async () => {
    const { inserted, run } = await dispatched();
    expect(
      (await initiate(inserted.manifestId, await github.oidcToken(run.id, server.url), String(run.id)))
        .status,
    ).toBe(200);
    const late = await initiate(inserted.manifestId, inserted.workToken, String(run.id));
    expect(late.status).toBe(401);
    expect(late.error).toContain(
      `no longer valid: work manifest ${inserted.manifestId} was started by run ${run.id}`,
    );
  });

  it("a work token is bound to the run its dispatch created and starts one run", async () => {
    const { inserted, run } = await dispatched();
    const elsewhere = await initiate(inserted.manifestId, inserted.workToken, "424242");
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.error).toContain(`sent to run ${run.id}; run 424242 cannot use it`);
    expect((await manifestRow(inserted.manifestId)).state).toBe("dispatched");

    const own = await initiate(inserted.manifestId, inserted.workToken, String(run.id));
    expect(own.status).toBe(200);
    const again = await initiate(inserted.manifestId, inserted.workToken, String(run.id));
    expect(again.status).toBe(401);
    expect(again.error).toContain("already used");
    // The run's own OIDC token cannot start it a second time either.
    const oidc = await initiate(
      inserted.manifestId,
      await github.oidcToken(run.id, server.url),
      String(run.id),
    );
    expect(oidc.status).toBe(409);
  });

  it("a run that arrives before its dispatch is recorded is told to ask again, and nothing is used up", async () => {
    const { inserted, run } = await dispatched();
    await database.client.db
      .update(workManifests)
      .set({ state: "queued", runId: null })
      .where(eq(workManifests.id, inserted.manifestId));
    const early = await fetch(`${server.url}/api/github/v1/work-manifests/${inserted.manifestId}/initiate`, {
      method: "POST",
      headers: { authorization: `Bearer ${inserted.workToken}`, "content-type": "application/json" },
      body: JSON.stringify({ run_id: String(run.id), sha }),
    });
    expect(early.status).toBe(503);
    expect(early.headers.get("retry-after")).toBe("5");
    await database.client.db
      .update(workManifests)
      .set({ state: "dispatched", runId: String(run.id) })
      .where(eq(workManifests.id, inserted.manifestId));
    expect((await initiate(inserted.manifestId, inserted.workToken, String(run.id))).status).toBe(200);
  });

  it("the job's OIDC token request gives a token the server accepts (GitHub's claim shapes)", async () => {
    const { inserted, run } = await dispatched();
    const env = github.actionsJobEnv(run.id);
    const url = new URL(env["ACTIONS_ID_TOKEN_REQUEST_URL"]!);
    url.searchParams.set("audience", server.url);
    const refused = await fetch(url, { headers: { authorization: "bearer wrong" } });
    expect(refused.status).toBe(401);
    const answer = (await (
      await fetch(url, { headers: { authorization: `bearer ${env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]}` } })
    ).json()) as { value: string };
    const claims = JSON.parse(Buffer.from(answer.value.split(".")[1]!, "base64url").toString("utf8"));
    expect(claims).toMatchObject({
      iss: `${github.url}/_services/token`,
      aud: server.url,
      sub: "repo:acme/infra:ref:refs/heads/main",
      repository: "acme/infra",
      repository_id: String(repo.id),
      run_id: String(run.id),
      event_name: "workflow_dispatch",
      workflow_ref: "acme/infra/.github/workflows/terragate.yml@refs/heads/main",
      job_workflow_ref: "acme/infra/.github/workflows/terragate.yml@refs/heads/main",
    });
    expect((await initiate(inserted.manifestId, answer.value, String(run.id))).status).toBe(200);
  });
});
