// engine.version honoured by the runner with the real terraform: a match runs, a mismatch fails before any
// step naming the constraint and the version found, and TERRAGATE_ENGINE_PATH supplies a matching binary.
import { chmod, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { execa } from "execa";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { plans } from "../../src/db/schema/index.ts";
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
/** The terraform on PATH, e.g. 1.11.4, and its major.minor. */
let installed: string;
let minor: string;
let realTerraform: string;

beforeAll(async () => {
  database = await createTestDatabase();
  server = await startTestServer(database.client);
  repo = await createTerraformRepo({ "infra/a": terraformRoot("a", 1) });
  installed = (
    JSON.parse(String((await execa("terraform", ["version", "-json"])).stdout)) as {
      terraform_version: string;
    }
  ).terraform_version;
  minor = installed.split(".").slice(0, 2).join(".");
  realTerraform = String((await execa("sh", ["-c", "command -v terraform"])).stdout).trim();
});

afterAll(async () => {
  await server?.close();
  await database?.close();
});

beforeEach(async () => {
  await database.reset();
  await git(repo.root, ["checkout", "-q", "main"]);
});

async function planWith(version: string, enginePath: string[] = []) {
  const inserted = await insertManifest(database.client, {
    kind: "plan",
    dirspaces: [{ dir: "infra/a", workflow: { engine: { name: "terraform", version } } }],
    baseSha: repo.baseSha,
    headSha: repo.headSha,
  });
  const outcome = await runManifest({
    apiUrl: server.url,
    vcs: "github",
    manifestId: inserted.manifestId,
    credentials: [{ kind: "work-token", token: async () => inserted.workToken }],
    runId: "9001",
    repoRoot: repo.root,
    env: runnerEnv(repo.home),
    enginePath,
    log: { info: () => {}, dirspace: () => {} },
  });
  if (outcome.type !== "ran") throw new Error(`expected a run, got ${outcome.type}`);
  const stored = await database.client.db
    .select()
    .from(plans)
    .where(eq(plans.workManifestId, inserted.manifestId));
  return { result: outcome.results[0]!, storedPlans: stored.length };
}

/** A directory holding a `terraform` that says it is `version` and otherwise runs the real one. */
async function fakeTerraform(version: string): Promise<string> {
  const dir = path.join(await mkdtemp(path.join(tmpdir(), "terragate-engine-")), version);
  await mkdir(dir);
  const script = path.join(dir, "terraform");
  await writeFile(
    script,
    `#!/bin/sh\nif [ "$1" = version ]; then echo '{"terraform_version":"${version}"}'; exit 0; fi\nexec "${realTerraform}" "$@"\n`,
  );
  await chmod(script, 0o755);
  return dir;
}

describe("engine.version", () => {
  it("runs the terraform on PATH when its version meets the constraint", async () => {
    const { result, storedPlans } = await planWith(`~> ${minor}, != 0.12.0`);
    expect(result.steps.map((step) => [step.name, step.success])).toEqual([
      ["init", true],
      ["plan", true],
    ]);
    expect(result.steps[0]!.output).toContain("$ terraform init");
    expect(storedPlans).toBe(1);
  });

  it("fails the dirspace before any step, naming the constraint and the version found", async () => {
    const { result, storedPlans } = await planWith("< 1.0");
    expect(result.success).toBe(false);
    expect(result.steps).toHaveLength(1);
    expect(result.steps[0]!.name).toBe("engine version");
    expect(result.steps[0]!.output).toBe(
      `engine.version "< 1.0" is not met: terraform is ${installed}; install a matching terraform, or list matching binaries in TERRAGATE_ENGINE_PATH (separated by ":")`,
    );
    expect(storedPlans).toBe(0);
  });

  it("picks the first matching binary from TERRAGATE_ENGINE_PATH, past missing and older entries", async () => {
    const older = await fakeTerraform("1.4.7");
    const wanted = await fakeTerraform("1.5.7");
    const { result, storedPlans } = await planWith("~> 1.5.0", ["/nonexistent/terraform", older, wanted]);
    expect(result.steps.map((step) => [step.name, step.success])).toEqual([
      ["init", true],
      ["plan", true],
    ]);
    expect(result.steps[0]!.output).toContain(`$ ${path.join(wanted, "terraform")} init`);
    expect(storedPlans).toBe(1);
  });

  it("says what every candidate was when none matches", async () => {
    const older = await fakeTerraform("1.4.7");
    const { result } = await planWith(">= 1.5, < 1.6", ["/nonexistent/terraform", older]);
    expect(result.steps.map((step) => step.name)).toEqual(["engine version"]);
    const output = result.steps[0]!.output;
    expect(output).toMatch(/^engine\.version ">= 1\.5, < 1\.6" is not met: /);
    expect(output).toContain(`terraform is ${installed}`);
    expect(output).toContain("/nonexistent/terraform: could not run");
    expect(output).toContain(`${path.join(older, "terraform")} is 1.4.7`);
    expect(output).toContain("no binary on PATH or in TERRAGATE_ENGINE_PATH matches");
  });
});
