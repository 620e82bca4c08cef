// A drift run's token may start an apply only on dirspaces the scheduler marked for reconcile.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../harness/database.ts";
import { insertManifest, startTestServer, type TestServer } from "../runner/runner-fixtures.ts";

const sha = "c".repeat(40);
let database: TestDatabase;
let server: TestServer;

beforeAll(async () => {
  database = await createTestDatabase();
  server = await startTestServer(database.client);
});
afterAll(async () => {
  await server?.close();
  await database?.close();
});
beforeEach(() => database.reset());

async function call(path: string, token: string, body: unknown): Promise<Response> {
  return fetch(`${server.url}/api/github/v1/work-manifests/${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

describe("reconcile guard", () => {
  it("gives apply steps only to reconcilable dirspaces and refuses an apply anywhere else", async () => {
    const { manifestId, workToken } = await insertManifest(database.client, {
      kind: "drift",
      baseSha: sha,
      headSha: sha,
      dirspaces: [
        { dir: "infra/staging", workflow: { engine: { name: "terraform" }, reconcile: true } },
        { dir: "infra/prod", workflow: { engine: { name: "terraform" }, reconcile: false } },
      ],
    });
    const initiated = await call(`${manifestId}/initiate`, workToken, { run_id: 1, sha });
    expect(initiated.status).toBe(200);
    const manifest = (await initiated.json()) as {
      kind: string;
      token: string;
      dirspaces: Array<{ dir: string; workflow: { steps: Array<{ type: string }> } }>;
    };
    expect(manifest.kind).toBe("drift");
    const steps = (dir: string) =>
      manifest.dirspaces.find((d) => d.dir === dir)?.workflow.steps.map((step) => step.type);
    expect(steps("infra/staging")).toEqual(["init", "plan", "init", "apply"]);
    expect(steps("infra/prod")).toEqual(["init", "plan"]);

    // A runner that tries anyway (a workflow edited to apply) is refused by the server.
    const refused = await call(`${manifestId}/apply-started`, manifest.token, {
      dir: "infra/prod",
      workspace: "default",
    });
    expect(refused.status).toBe(409);
    expect(JSON.stringify(await refused.json())).toContain(
      "infra/prod (default) is not reconciled by drift runs",
    );
    const allowed = await call(`${manifestId}/apply-started`, manifest.token, {
      dir: "infra/staging",
      workspace: "default",
    });
    expect(allowed.status).toBe(200);
  });
});
