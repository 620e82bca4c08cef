// The two ways a run starts: the bundled GitHub Action (OIDC, groups, job summary) and `terragate run`;
// both talk only to the server the workflow file pins, and redact what the workflow names secret.
import { readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { eq } from "drizzle-orm";
import { execa } from "execa";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { workManifestDirspaces, workManifests } from "../../src/db/schema/index.ts";
import { type FakeGithub, startFakeGithub } from "../fakes/github/server.ts";
import type { FakeWorkflowRun } from "../fakes/github/state.ts";
import { terragateBin } from "../harness/cli-entry.ts";
import { createTestDatabase, type TestDatabase } from "../harness/database.ts";
import {
  createTerraformRepo,
  git,
  type InsertedManifest,
  insertManifest,
  runnerEnv,
  startTestServer,
  type TerraformRepo,
  type TestServer,
  terraformRoot,
} from "./runner-fixtures.ts";

const projectRoot = path.resolve(import.meta.dirname, "../..");
const action = path.join(projectRoot, "action/dist/index.js");
const cli = terragateBin;
let database: TestDatabase;
let github: FakeGithub;
let server: TestServer;
let repo: TerraformRepo;
/** Stands for a server an attacker names in a dispatch: it must never hear from the runner. */
let elsewhere: Server;
let elsewhereUrl: string;
const elsewhereRequests: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  github = await startFakeGithub();
  server = await startTestServer(database.client, { GITHUB_OIDC_ISSUER: github.oidc.issuer });
  repo = await createTerraformRepo({
    "infra/a": terraformRoot("a", 3),
    "infra/broken": 'resource "terraform_data" "x" {\n  input = undefined_thing.value\n}\n',
  });
  elsewhere = createServer((request, response) => {
    elsewhereRequests.push(`${request.method} ${request.url}`);
    response.writeHead(500).end();
  });
  await new Promise<void>((resolve) => elsewhere.listen(0, "127.0.0.1", resolve));
  elsewhereUrl = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await server?.close();
  await github?.close();
  await new Promise((resolve) => elsewhere?.close(resolve));
  await database?.close();
});

beforeEach(async () => {
  await database.reset();
  await git(repo.root, ["checkout", "-q", "main"]);
  github.state.repos.clear();
  github.state.requests.length = 0;
  elsewhereRequests.length = 0;
});

/** A manifest dispatched to a new run of terragate.yml, and the event file GitHub writes for that run. */
async function dispatchedRun(
  dirspaces: Array<{ dir: string; workflow?: unknown }>,
  dispatchedUrl: string = server.url,
): Promise<{ inserted: InsertedManifest; run: FakeWorkflowRun; eventPath: string }> {
  const fake = github.state.addRepo({ owner: "acme", name: "infra", installationId: 42 });
  github.state.commit("acme/infra", "main", { ".github/workflows/terragate.yml": "name: terragate\n" });
  const run = github.state.startWorkflowRun("acme/infra", {
    workflow: "terragate.yml",
    branch: "main",
    event: "workflow_dispatch",
  });
  const inserted = await insertManifest(database.client, {
    kind: "plan",
    dirspaces,
    baseSha: repo.baseSha,
    headSha: repo.headSha,
    repoExternalId: String(fake.id),
    repoFullName: "acme/infra",
    runId: String(run.id),
  });
  const eventPath = path.join(repo.home, `event-${run.id}.json`);
  const inputs = {
    "work-manifest-id": inserted.manifestId,
    "api-base-url": dispatchedUrl,
    "work-token": inserted.workToken,
  };
  await writeFile(
    eventPath,
    JSON.stringify({ inputs, ref: "refs/heads/main", workflow: ".github/workflows/terragate.yml" }),
  );
  return { inserted, run, eventPath };
}

/** The job environment of the README's workflow: OIDC, the pinned api-url, the dispatch's event file. */
function actionEnv(
  run: FakeWorkflowRun,
  inserted: InsertedManifest,
  eventPath: string,
): Record<string, string> {
  return {
    ...runnerEnv(repo.home),
    ...github.actionsJobEnv(run.id),
    GITHUB_EVENT_PATH: eventPath,
    "INPUT_API-URL": server.url,
    "INPUT_WORK-MANIFEST-ID": inserted.manifestId,
    "INPUT_WORK-TOKEN": inserted.workToken,
  };
}

async function state(id: string) {
  const [row] = await database.client.db.select().from(workManifests).where(eq(workManifests.id, id));
  return row!.state;
}

function idTokenRequests(): number {
  return github.state.countRequests((request) => request.path === "/_actions/id-token");
}

describe("entry points", () => {
  it("the bundled action authenticates with OIDC, groups each dirspace, writes the job summary and fails readably", async () => {
    const { inserted, run, eventPath } = await dispatchedRun([{ dir: "infra/a" }, { dir: "infra/broken" }]);
    const summaryPath = path.join(repo.home, "summary.md");
    const outputPath = path.join(repo.home, "output.txt");
    const result = await execa("node", [action], {
      cwd: repo.root,
      reject: false,
      extendEnv: false,
      // No work token: the run's own OIDC token has to be accepted.
      env: {
        ...actionEnv(run, inserted, eventPath),
        GITHUB_STEP_SUMMARY: summaryPath,
        GITHUB_OUTPUT: outputPath,
        "INPUT_WORK-TOKEN": "",
      },
    });
    expect(idTokenRequests()).toBe(1);
    expect(result.stdout).not.toContain("::warning::");
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain("::group::✅ infra/a (default) +3 ~0 -0");
    expect(result.stdout).toContain("::group::❌ infra/broken (default)");
    expect(result.stdout).toContain("::error::Terragate plan failed for infra/broken (default)");
    const summary = await readFile(summaryPath, "utf8");
    expect(summary).toContain("| `infra/a` (default) | ✅ success | 3 | 0 | 0 |");
    expect(summary).toContain("| `infra/broken` (default) | ❌ failed at plan | – | – | – |");
    // The workflow's later steps see the kind (a drift run says drift).
    expect(await readFile(outputPath, "utf8")).toBe("kind=plan\n");
    expect(await state(inserted.manifestId)).toBe("failed");
  });

  it("the action refuses a dispatch that names another server than the pinned one, before running anything", async () => {
    const { inserted, run, eventPath } = await dispatchedRun([{ dir: "infra/a" }], elsewhereUrl);
    const result = await execa("node", [action], {
      cwd: repo.root,
      reject: false,
      extendEnv: false,
      env: actionEnv(run, inserted, eventPath),
    });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(
      `::error::Terragate refused this run: the workflow_dispatch input api-base-url names the server ${elsewhereUrl}, but the action's api-url input pins ${server.url}`,
    );
    expect(result.stdout).toContain(`::add-mask::${inserted.workToken}`);
    expect(elsewhereRequests).toEqual([]);
    expect(idTokenRequests()).toBe(0);
    expect(await state(inserted.manifestId)).toBe("dispatched");
    expect(result.stdout).not.toContain("::group::");
  });

  it("terragate run refuses it too, with exit status 2, when TERRAGATE_API_URL is pinned", async () => {
    const { inserted, run, eventPath } = await dispatchedRun([{ dir: "infra/a" }], elsewhereUrl);
    const result = await execa("node", [cli, "run"], {
      cwd: repo.root,
      reject: false,
      extendEnv: false,
      env: {
        ...runnerEnv(repo.home),
        ...github.actionsJobEnv(run.id),
        GITHUB_EVENT_PATH: eventPath,
        TERRAGATE_API_URL: server.url,
        TERRAGATE_WORK_MANIFEST_ID: inserted.manifestId,
        TERRAGATE_WORK_TOKEN: inserted.workToken,
      },
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(
      `terragate run: refused: the workflow_dispatch input api-base-url names the server ${elsewhereUrl}, but TERRAGATE_API_URL pins ${server.url}`,
    );
    expect(elsewhereRequests).toEqual([]);
    expect(await state(inserted.manifestId)).toBe("dispatched");
  });

  it("a workflow file without a pinned URL still runs, with a warning in the job log", async () => {
    const { inserted, run, eventPath } = await dispatchedRun([{ dir: "infra/a" }]);
    const { "INPUT_API-URL": _pinned, ...legacy } = actionEnv(run, inserted, eventPath);
    const result = await execa("node", [action], {
      cwd: repo.root,
      reject: false,
      extendEnv: false,
      env: { ...legacy, "INPUT_API-BASE-URL": server.url },
    });
    expect(result.stdout).toMatch(
      /^::warning::Terragate: the Terragate server URL comes from the action's api-base-url input/m,
    );
    expect(result.exitCode, result.stdout).toBe(0);
    expect(await state(inserted.manifestId)).toBe("completed");
  });

  it("the action says what is missing when its inputs are not set", async () => {
    const result = await execa("node", [action], {
      cwd: repo.root,
      reject: false,
      extendEnv: false,
      env: { ...runnerEnv(repo.home), GITHUB_ACTIONS: "true" },
    });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^::error::Invalid configuration:.*work manifest id: required/m);
  });

  it("the action's secret-env names are redacted from everything sent back, besides secret-looking names", async () => {
    const echo = {
      engine: { name: "terraform" },
      steps: [{ type: "run", cmd: ["sh", "-c", 'echo "odd=$ODD_VALUE dsn=$SENTRY_DSN pwd=$PWD"'] }],
    };
    const { inserted, run, eventPath } = await dispatchedRun([{ dir: "infra/a", workflow: echo }]);
    const result = await execa("node", [action], {
      cwd: repo.root,
      reject: false,
      extendEnv: false,
      env: {
        ...actionEnv(run, inserted, eventPath),
        "INPUT_SECRET-ENV": "ODD_VALUE, OTHER",
        ODD_VALUE: "plain-looking-value",
        SENTRY_DSN: "https://key@sentry.example.com/1",
        PWD: repo.root,
      },
    });
    expect(result.exitCode, result.stdout).toBe(0);
    const [dirspace] = await database.client.db
      .select()
      .from(workManifestDirspaces)
      .where(eq(workManifestDirspaces.workManifestId, inserted.manifestId));
    const output = dirspace!.steps!.map((step) => step.output).join("\n");
    expect(output).toContain(`odd=*** dsn=*** pwd=${path.join(repo.root, "infra/a")}`);
    expect(result.stdout).not.toContain("plain-looking-value");
  });

  it("terragate run plans with the work token from the environment", async () => {
    const inserted = await insertManifest(database.client, {
      kind: "plan",
      dirspaces: [{ dir: "infra/a" }],
      baseSha: repo.baseSha,
      headSha: repo.headSha,
    });
    const result = await execa("node", [cli, "run"], {
      cwd: repo.root,
      reject: false,
      extendEnv: false,
      env: {
        ...runnerEnv(repo.home),
        TERRAGATE_API_URL: server.url,
        TERRAGATE_WORK_MANIFEST_ID: inserted.manifestId,
        TERRAGATE_WORK_TOKEN: inserted.workToken,
      },
    });
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("ok infra/a (default) (+3 ~0 -0)");
    expect(await state(inserted.manifestId)).toBe("completed");
  });
});
