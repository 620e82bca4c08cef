// The runner against the real endpoints, PostgreSQL and terraform: plan, apply, failures, stale plans, redaction.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { auditLog, plans, workManifestDirspaces, workManifests } from "../../src/db/schema/index.ts";
import type { DirspaceResult } from "../../src/runner/protocol.ts";
import { runManifest } from "../../src/runner/run-manifest.ts";
import { createTestDatabase, type TestDatabase } from "../harness/database.ts";
import {
  createTerraformRepo,
  git,
  insertManifest,
  runnerEnv,
  startTestServer,
  type TerraformRepo,
  type TestServer,
  terraformRoot,
} from "./runner-fixtures.ts";

let database: TestDatabase;
let server: TestServer;
let repo: TerraformRepo;

beforeAll(async () => {
  database = await createTestDatabase();
  server = await startTestServer(database.client);
  repo = await createTerraformRepo({
    "infra/a": terraformRoot("a", 3),
    "infra/b": terraformRoot("b", 2),
    "infra/broken": 'resource "terraform_data" "x" {\n  input = undefined_thing.value\n}\n',
  });
});

afterAll(async () => {
  await server?.close();
  await database?.close();
});

beforeEach(async () => {
  await database.reset();
  await git(repo.root, ["checkout", "-q", "main"]);
});

function run(manifestId: string, workToken: string, env: Record<string, string> = {}, apiUrl = server.url) {
  const lines: string[] = [];
  const finished: DirspaceResult[] = [];
  return runManifest({
    apiUrl,
    vcs: "github",
    manifestId,
    credentials: [{ kind: "work-token", token: async () => workToken }],
    runId: "9001",
    repoRoot: repo.root,
    env: { ...runnerEnv(repo.home), ...env },
    log: { info: (line) => lines.push(line), dirspace: (result) => finished.push(result) },
  });
}

async function manifestRow(id: string) {
  const [row] = await database.client.db.select().from(workManifests).where(eq(workManifests.id, id));
  return row!;
}

async function dirspaceRows(id: string) {
  return database.client.db
    .select()
    .from(workManifestDirspaces)
    .where(eq(workManifestDirspaces.workManifestId, id))
    .orderBy(workManifestDirspaces.dir);
}

async function reportJobs(): Promise<unknown[]> {
  const rows = await database.client.sql<{ payload: unknown }[]>`
    select j.payload from graphile_worker._private_jobs j
    join graphile_worker._private_tasks t on t.id = j.task_id
    where t.identifier = 'report-results'`;
  return rows.map((row) => row.payload);
}

describe("runner and endpoints", () => {
  it("plans two dirspaces, stores sealed plans and summaries, and queues the report", async () => {
    const inserted = await insertManifest(database.client, {
      kind: "plan",
      dirspaces: [{ dir: "infra/a" }, { dir: "infra/b", workspace: "staging" }],
      baseSha: repo.baseSha,
      headSha: repo.headSha,
    });
    const outcome = await run(inserted.manifestId, inserted.workToken);
    expect(outcome.type).toBe("ran");
    if (outcome.type !== "ran") return;
    expect(outcome.failed).toEqual([]);
    expect(await git(repo.root, ["rev-parse", "HEAD"])).toBe(repo.headSha);

    const manifest = await manifestRow(inserted.manifestId);
    expect(manifest.state).toBe("completed");
    expect(manifest.runId).toBe("9001");
    const rows = await dirspaceRows(inserted.manifestId);
    expect(rows.map((row) => [row.dir, row.workspace, row.state, row.summary, row.hasChanges])).toEqual([
      ["infra/a", "default", "success", { add: 3, change: 0, destroy: 0, import: 0 }, true],
      ["infra/b", "staging", "success", { add: 2, change: 0, destroy: 0, import: 0 }, true],
    ]);
    const planStep = rows[0]!.steps!.find((step) => step.name === "plan");
    expect(planStep?.output).toContain("Plan: 3 to add, 0 to change, 0 to destroy.");

    const stored = await database.client.db
      .select()
      .from(plans)
      .where(eq(plans.workManifestId, inserted.manifestId));
    expect(stored).toHaveLength(2);
    for (const plan of stored) {
      expect(plan.sizeBytes).toBeGreaterThan(0);
      // Sealed: a terraform plan is a zip file; the stored bytes must not be one.
      expect(plan.sealed.subarray(0, 2).toString("latin1")).not.toBe("PK");
      expect(plan.expiresAt.getTime() - Date.now()).toBeGreaterThan(13 * 86_400_000);
    }
    expect(await reportJobs()).toEqual([{ workManifestId: inserted.manifestId }]);
  });

  it("applies exactly the stored plan and updates the state file", async () => {
    const planned = await insertManifest(database.client, {
      kind: "plan",
      dirspaces: [{ dir: "infra/a" }],
      baseSha: repo.baseSha,
      headSha: repo.headSha,
    });
    await run(planned.manifestId, planned.workToken);
    const applying = await insertManifest(database.client, {
      kind: "apply",
      dirspaces: [{ dir: "infra/a" }],
      baseSha: repo.baseSha,
      headSha: repo.headSha,
    });
    // The plan the evaluator validated for this apply, as create-manifest records it.
    const [plan] = await database.client.db
      .select()
      .from(plans)
      .where(eq(plans.workManifestId, planned.manifestId));
    await database.client.db
      .update(workManifestDirspaces)
      .set({ planId: plan!.id })
      .where(eq(workManifestDirspaces.workManifestId, applying.manifestId));
    const outcome = await run(applying.manifestId, applying.workToken);
    expect(outcome.type === "ran" && outcome.failed).toEqual([]);
    const [row] = await dirspaceRows(applying.manifestId);
    expect(row!.state).toBe("success");
    // Audited with the results, in their transaction: who, which PR, which plan, how it ended.
    const audit = await database.client.db.select().from(auditLog).where(eq(auditLog.action, "apply"));
    expect(audit.map((entry) => [entry.installationId, entry.actor, entry.target])).toEqual([
      [
        applying.installationId,
        "github:alice",
        {
          repo: "acme/infra-1296269",
          pull_request: 7,
          work_manifest: applying.manifestId,
          kind: "apply",
          head_sha: repo.headSha,
          result: "completed",
          reason: null,
          dirspaces: [
            {
              dir: "infra/a",
              workspace: "default",
              plan_id: plan!.id,
              result: "success",
              apply_started: true,
            },
          ],
        },
      ],
    ]);
    // The runner told the server before applying: had it died, the lock would have stayed.
    expect(row!.applyStartedAt).not.toBeNull();
    const applyStep = row!.steps!.find((step) => step.name === "apply");
    expect(applyStep?.output).toContain("Apply complete! Resources: 3 added, 0 changed, 0 destroyed.");
    expect(row!.outputs).toEqual({ first: "a-0" });
    const state = JSON.parse(await readFile(path.join(repo.root, "infra/a/terraform.tfstate"), "utf8"));
    expect(state.resources.map((resource: { name: string }) => resource.name).sort()).toEqual([
      "r0",
      "r1",
      "r2",
    ]);
  });

  it("refuses to apply a plan made for an older commit", async () => {
    const planned = await insertManifest(database.client, {
      kind: "plan",
      dirspaces: [{ dir: "infra/b" }],
      baseSha: repo.baseSha,
      headSha: repo.baseSha,
    });
    // The plan was made at the base commit (where infra/b does not exist yet, so it fails): fake a success.
    await run(planned.manifestId, planned.workToken);
    await database.client.db
      .update(workManifestDirspaces)
      .set({ success: true })
      .where(eq(workManifestDirspaces.workManifestId, planned.manifestId));
    await database.client
      .sql`insert into plans (installation_id, repository_id, pull_request_id, work_manifest_id, dir, workspace, base_sha, head_sha, has_changes, sealed, size_bytes, expires_at)
      values (${planned.installationId}, ${planned.repositoryId}, ${planned.pullRequestId}, ${planned.manifestId}, 'infra/b', 'default', ${repo.baseSha}, ${repo.baseSha}, true, '\\x00'::bytea, 1, now() + interval '1 day')`;
    const applying = await insertManifest(database.client, {
      kind: "apply",
      dirspaces: [{ dir: "infra/b" }],
      baseSha: repo.baseSha,
      headSha: repo.headSha,
    });
    const outcome = await run(applying.manifestId, applying.workToken);
    expect(outcome.type === "ran" && outcome.failed).toEqual(["infra/b (default)"]);
    const [row] = await dirspaceRows(applying.manifestId);
    expect(row!.steps!.at(-1)!.output).toMatch(
      /the stored plan of infra\/b \(default\) is from .* comment `terragate plan`/,
    );
  });

  it("reports a failing dirspace with its error while the other succeeds", async () => {
    const inserted = await insertManifest(database.client, {
      kind: "plan",
      dirspaces: [{ dir: "infra/a" }, { dir: "infra/broken" }],
      baseSha: repo.baseSha,
      headSha: repo.headSha,
    });
    const outcome = await run(inserted.manifestId, inserted.workToken);
    expect(outcome.type === "ran" && outcome.failed).toEqual(["infra/broken (default)"]);
    const manifest = await manifestRow(inserted.manifestId);
    expect(manifest.state).toBe("failed");
    expect(manifest.failureReason).toBe("failed: infra/broken (default)");
    const [a, broken] = await dirspaceRows(inserted.manifestId);
    expect(a!.state).toBe("success");
    expect(broken!.state).toBe("failure");
    expect(broken!.steps!.at(-1)!.output).toContain("undefined_thing");
    expect(broken!.exitCode).toBe(1);
  });

  it("redacts secret environment values and listed secrets from step output", async () => {
    const inserted = await insertManifest(database.client, {
      kind: "plan",
      dirspaces: [
        {
          dir: "infra/a",
          workflow: {
            steps: [
              { type: "run", cmd: ["sh", "-c", 'echo "token=$MY_API_TOKEN listed=$DEPLOY_PASS_VALUE"'] },
            ],
          },
        },
      ],
      baseSha: repo.baseSha,
      headSha: repo.headSha,
      runConfig: { secret_env: ["DEPLOY_PASS_VALUE"] },
    });
    await run(inserted.manifestId, inserted.workToken, {
      MY_API_TOKEN: "s3cr3t-value-123",
      DEPLOY_PASS_VALUE: "hunter2-listed",
    });
    const [row] = await dirspaceRows(inserted.manifestId);
    const output = row!.steps![0]!.output;
    expect(output).toContain("token=*** listed=***");
    expect(output).not.toContain("s3cr3t-value-123");
    expect(output).not.toContain("hunter2-listed");
  });

  it("answers done and aborts the manifest when the PR moved on before the run", async () => {
    const inserted = await insertManifest(database.client, {
      kind: "plan",
      dirspaces: [{ dir: "infra/a" }],
      baseSha: repo.baseSha,
      headSha: repo.baseSha,
      prHeadSha: repo.headSha,
    });
    const outcome = await run(inserted.manifestId, inserted.workToken);
    expect(outcome.type).toBe("done");
    const manifest = await manifestRow(inserted.manifestId);
    expect(manifest.state).toBe("aborted");
    expect(manifest.failureReason).toContain("the PR moved");
    expect(await reportJobs()).toHaveLength(1);
  });

  it("times out a step that runs too long", async () => {
    const inserted = await insertManifest(database.client, {
      kind: "plan",
      dirspaces: [
        { dir: "infra/a", workflow: { steps: [{ type: "run", cmd: ["sleep", "30"], timeout_seconds: 1 }] } },
      ],
      baseSha: repo.baseSha,
      headSha: repo.headSha,
    });
    const started = Date.now();
    await run(inserted.manifestId, inserted.workToken);
    expect(Date.now() - started).toBeLessThan(15_000);
    const [row] = await dirspaceRows(inserted.manifestId);
    expect(row!.state).toBe("failure");
    expect(row!.steps![0]!.output).toContain("timed out after 1 s");
  });

  it("fails a dirspace whose plan the server refuses to store, with the server's reason", async () => {
    const small = await startTestServer(database.client, { TERRAGATE_PLAN_MAX_BYTES: "1024" });
    try {
      const inserted = await insertManifest(database.client, {
        kind: "plan",
        dirspaces: [{ dir: "infra/a" }],
        baseSha: repo.baseSha,
        headSha: repo.headSha,
      });
      const outcome = await run(inserted.manifestId, inserted.workToken, {}, small.url);
      expect(outcome.type === "ran" && outcome.failed).toEqual(["infra/a (default)"]);
      const [row] = await dirspaceRows(inserted.manifestId);
      expect(row!.state).toBe("failure");
      const upload = row!.steps!.find((step) => step.name === "upload plan");
      expect(upload?.output).toMatch(/could not be stored on the server: .*413.*TERRAGATE_PLAN_MAX_BYTES/);
    } finally {
      await small.close();
    }
  });
});
