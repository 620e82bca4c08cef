// Module-aware autoplan and ordered stack layers through the real evaluator, jobs and fake GitHub.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { main as configGraph } from "../../src/cli/config-graph.ts";
import { createApiKey } from "../../src/db/queries/api-keys.ts";
import { installations } from "../../src/db/schema/index.ts";
import { ModuleIndexStore } from "../../src/evaluator/module-index-loader.ts";
import { planNextLayer } from "../../src/evaluator/plan-next-layer.ts";
import { finishWithResults } from "../../src/jobs/manifest-lifecycle.ts";
import { createProviderFor } from "../../src/vcs/registry.ts";
import { monorepo } from "../fixtures/module-monorepo.ts";
import { installationId, pushEvent, repoFullName } from "./payloads.ts";
import { comment, completePlan, manifests, refusal, sendPullRequest } from "./pr-helpers.ts";
import { createTestbed, openPullRequest, seedRepository, type Testbed } from "./testbed.ts";

let bed: Testbed;

beforeAll(async () => {
  bed = await createTestbed();
});
afterAll(async () => {
  await bed?.close();
});
beforeEach(async () => {
  await bed.reset();
});

async function manifestDirs(manifestId: string): Promise<string[]> {
  const rows = await bed.database.client.sql<{ dir: string }[]>`
    select dir from work_manifest_dirspaces where work_manifest_id = ${manifestId} order by dir`;
  return rows.map((row) => row.dir);
}

/** Finishes a dispatched run the way the runner's results do: every dirspace succeeds, the report is queued. */
async function finishRun(manifestId: string, hasChanges = true): Promise<void> {
  const { sql } = bed.database.client;
  await sql`update work_manifest_dirspaces set state = 'success', success = true, has_changes = ${hasChanges}
    where work_manifest_id = ${manifestId}`;
  await sql`update work_manifests set state = 'running' where id = ${manifestId}`;
  await bed.database.client.db.transaction((tx) => finishWithResults(tx, manifestId, "completed", null));
  await bed.work();
}

const stacksConfig = `version: 1
stacks:
  network:
    tag_query: "dir:live/vpc"
  apps:
    tag_query: "dir:live/web or dir:live/db"
    depends_on: [network]
  edge:
    tag_query: "dir:live/cdn"
    depends_on: [apps]
`;

const liveRoots = {
  "live/vpc/main.tf": "",
  "live/web/main.tf": "",
  "live/db/main.tf": "",
  "live/cdn/main.tf": "",
};

const touchAll = {
  "live/vpc/main.tf": "# 1",
  "live/web/main.tf": "# 1",
  "live/db/main.tf": "# 1",
  "live/cdn/main.tf": "# 1",
};

describe("module-aware autoplan", () => {
  it("plans exactly the roots using a changed module (nested, Terragrunt sources) and says why", async () => {
    seedRepository(bed.github, monorepo);
    const pull = openPullRequest(bed.github, {
      number: 7,
      changed: { "modules/network/subnets/main.tf": 'module "cidr" {\n  source = "../../cidr"\n}\n# 2\n' },
    });
    await sendPullRequest(bed, "opened", pull);
    const [manifest, ...others] = await manifests(bed);
    expect(others).toEqual([]);
    // live/prod/app also uses the network module (through modules/app), but waits for live/prod/vpc,
    // its Terragrunt dependency: it is planned once that is applied.
    expect(await manifestDirs(manifest!.id)).toEqual(["infra/vpc", "infra/web", "live/prod/vpc"]);
    const notes = (manifest!.runConfig as { notes: { reasons: unknown[]; layers: unknown[] } }).notes;
    expect(notes.reasons).toContainEqual({
      dir: "infra/web",
      workspace: "default",
      reasons: ["uses modules/network/subnets (through modules/app → modules/network), changed"],
    });
    expect(notes.layers).toHaveLength(2);
  });

  it("plans every root a PR changes when it changes more files than GitHub lists (a lock-file bump)", async () => {
    bed.github.state.limits.pullFiles = 10;
    const dirs = Array.from({ length: 25 }, (_, n) => `live/r${String(n).padStart(2, "0")}`);
    const roots: Record<string, string> = {};
    const bumped: Record<string, string> = {};
    for (const dir of dirs) {
      roots[`${dir}/main.tf`] = "";
      roots[`${dir}/.terraform.lock.hcl`] = "# aws 5.0.0\n";
      bumped[`${dir}/.terraform.lock.hcl`] = "# aws 6.0.0\n";
    }
    seedRepository(bed.github, roots);
    const pull = openPullRequest(bed.github, { number: 14, changed: bumped });
    await sendPullRequest(bed, "opened", pull);
    const [manifest, ...others] = await manifests(bed);
    expect(others).toEqual([]);
    // GitHub's file list stops at 10 of the 25 files; the trees of merge base and head give the rest.
    expect(await manifestDirs(manifest!.id)).toEqual(dirs);
  });

  it("reports an unparsable file with path:line and plans the rest", async () => {
    seedRepository(bed.github, {
      "modules/net/main.tf": "",
      "infra/a/main.tf": 'module "n" { source = "../../modules/net" }',
    });
    const pull = openPullRequest(bed.github, {
      number: 8,
      changed: { "modules/net/main.tf": "# changed\n", "infra/b/main.tf": 'resource "x" "y" {\n  a = \n' },
    });
    await sendPullRequest(bed, "opened", pull);
    const [manifest] = await manifests(bed);
    expect(await manifestDirs(manifest!.id)).toEqual(["infra/a", "infra/b"]);
    await finishRun(manifest!.id);
    const body = bed.github.state
      .botComments(repoFullName, 8)
      .find((candidate) => candidate.body.includes("terragate:plan:pr-8"))!.body;
    expect(body).toMatch(/`infra\/b\/main\.tf:2:7: cannot parse: [^`]+`/);
    expect(body).toContain("`infra/a` (default): uses modules/net, changed");
  });
});

describe("ordered stack layers", () => {
  it("plans layer by layer, refuses an out-of-order apply, and plans the next layer after an apply", async () => {
    seedRepository(bed.github, { ".terragate/config.yml": stacksConfig, ...liveRoots });
    const pull = openPullRequest(bed.github, { number: 9, changed: touchAll });
    await sendPullRequest(bed, "opened", pull);
    const [first, ...rest] = await manifests(bed);
    expect(rest).toEqual([]);
    expect(await manifestDirs(first!.id)).toEqual(["live/vpc"]);

    await completePlan(bed, first!.id, pull);
    await comment(bed, 9, "terragate plan dir:live/web", "alice");
    const planned = await manifests(bed);
    expect(planned).toHaveLength(2);
    expect(await manifestDirs(planned[1]!.id)).toEqual(["live/web"]);
    expect((planned[1]!.runConfig as { notes: { waits: unknown } }).notes.waits).toEqual([
      {
        dirspace: { dir: "live/web", workspace: "default" },
        waitsFor: [{ dir: "live/vpc", workspace: "default" }],
      },
    ]);
    await completePlan(bed, planned[1]!.id, pull);

    await comment(bed, 9, "terragate apply dir:live/web", "alice");
    expect(await manifests(bed)).toHaveLength(2);
    expect(refusal(bed, 9)).toContain(
      "`live/web` (default) depends on changes of this PR that are not applied yet",
    );
    expect(refusal(bed, 9)).toContain(
      "apply `live/vpc` (default) first: comment `terragate apply dir:live/vpc`",
    );

    await comment(bed, 9, "terragate apply dir:live/vpc", "alice");
    const applied = await manifests(bed);
    expect(applied.map((manifest) => manifest.kind)).toEqual(["plan", "plan", "apply"]);
    await finishRun(applied[2]!.id);

    // The apply's report queued the next layer: web and db planned again (web's plan predates the apply).
    const next = await manifests(bed);
    expect(next).toHaveLength(4);
    expect(next[3]!.kind).toBe("plan");
    expect(await manifestDirs(next[3]!.id)).toEqual(["live/db", "live/web"]);

    // Until that plan succeeds, web's only plan predates vpc's apply: applying it is refused.
    await comment(bed, 9, "terragate apply dir:live/web", "alice");
    expect(await manifests(bed)).toHaveLength(4);
    expect(refusal(bed, 9)).toContain(
      "the plan for `live/web` (default) was made before `live/vpc` (default), which it depends on, was applied",
    );
    const comment4 = bed.github.state
      .botComments(repoFullName, 9)
      .find((candidate) => candidate.body.includes("terragate:apply:pr-9"))!.body;
    expect(comment4).toContain("**Stack layers**");
    expect(comment4).toMatch(/1\. `live\/vpc` \(default\) ✅ applied\n2\. .*`live\/web` \(default\)/);
    expect(comment4).toContain("`live/cdn` (default) ⏳ waiting");

    // Crash case: the job runs again (a retry after the worker died): nothing is planned twice.
    const context = {
      ...bed.deps,
      deliveryId: null,
      providerFor: createProviderFor(bed.deps),
      moduleIndexes: new ModuleIndexStore(),
    };
    expect(await planNextLayer(context, applied[2]!.id)).toMatchObject({ kind: "ignored" });
    expect(await manifests(bed)).toHaveLength(4);
  });

  it("takes the order from the default branch: a PR dropping its stacks still plans layer 1 only", async () => {
    seedRepository(bed.github, { ".terragate/config.yml": stacksConfig, ...liveRoots });
    const pull = openPullRequest(bed.github, {
      number: 10,
      author: "carol",
      changed: { ...touchAll, ".terragate/config.yml": "version: 1\n" },
    });
    await sendPullRequest(bed, "opened", pull);
    const [first, ...rest] = await manifests(bed);
    expect(rest).toEqual([]);
    expect(await manifestDirs(first!.id)).toEqual(["live/vpc"]);
    await completePlan(bed, first!.id, pull);
    await comment(bed, 10, "terragate plan dir:live/cdn", "carol");
    const [, cdnPlan] = await manifests(bed);
    await completePlan(bed, cdnPlan!.id, pull);
    await comment(bed, 10, "terragate apply dir:live/cdn", "carol");
    expect(await manifests(bed)).toHaveLength(2);
    expect(refusal(bed, 10)).toContain("`live/cdn` (default) depends on changes of this PR");
  });

  it("refuses to run when the default branch's ordering has a cycle, naming it", async () => {
    const cyclic = `version: 1
dirs:
  live/vpc: { depends_on: [live/web] }
  live/web: { depends_on: [live/vpc] }
`;
    seedRepository(bed.github, { ".terragate/config.yml": cyclic, ...liveRoots });
    const pull = openPullRequest(bed.github, { number: 11, changed: touchAll });
    await sendPullRequest(bed, "opened", pull);
    expect(await manifests(bed)).toEqual([]);
    const body = bed.github.state
      .botComments(repoFullName, 11)
      .find((candidate) => candidate.body.includes("terragate:config-error"))?.body;
    expect(body).toMatch(/cycle live\/(vpc|web) → live\/(web|vpc) → live\/(vpc|web)/);
  });
});

/** An access token of the test bed's installation, through the API's own refresh route. */
async function apiToken(): Promise<string> {
  const [installation] = await bed.database.client.db.select().from(installations);
  const { key } = await createApiKey(bed.database.client.db, {
    installationId: installation!.id,
    name: "stacks test",
    capabilities: ["installation_read"],
    createdBy: "test",
  });
  const response = await bed.app.request("/api/v1/access-token/refresh", {
    method: "POST",
    headers: { authorization: `Bearer ${key}` },
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

/** What `terragate config graph` prints for a checkout of these files. */
async function cliGraph(files: Record<string, string>, format: "json" | "dot"): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), "terragate-stacks-"));
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    let printed = "";
    const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      printed += String(chunk);
      return true;
    });
    try {
      expect(await configGraph(["--repo", root, "--format", format])).toBe(0);
    } finally {
      write.mockRestore();
    }
    return printed;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

describe("Stack API", () => {
  const stacked = {
    ...monorepo,
    ".terragate/config.yml": `version: 1
stacks:
  network:
    tag_query: "dir:infra/vpc or dir:live/prod/vpc"
  apps:
    tag_query: "dir:infra/web"
    depends_on: [network]
`,
  };

  it("serves the default branch's stacks and graph as the CLI prints them, and a PR's layers with states", async () => {
    const { main } = seedRepository(bed.github, stacked);
    expect(await bed.send("push", pushEvent(main))).toBe(202);
    await bed.work();
    const token = await apiToken();
    const get = (path: string) =>
      bed.app.request(`/api/v1/github/installations/${installationId}${path}`, {
        headers: { authorization: `Bearer ${token}` },
      });

    const graph = await get("/repos/acme%2Finfra/stacks/graph");
    expect(graph.status).toBe(200);
    const served = await graph.text();
    const checkout = Object.fromEntries(
      bed.github.state.filesAt(bed.github.state.repo(repoFullName), "main")!,
    );
    expect(served).toBe((await cliGraph(checkout, "json")).trim());
    const edges = (JSON.parse(served) as { edges: { from: string; to: string }[] }).edges;
    expect(edges).toContainEqual(
      expect.objectContaining({ from: "infra/vpc (default)", to: "infra/web (default)" }),
    );
    expect(edges).toContainEqual(
      expect.objectContaining({ from: "live/prod/vpc (default)", to: "live/prod/app (default)" }),
    );
    const dot = await get("/repos/acme%2Finfra/stacks/graph?format=dot");
    expect(dot.headers.get("content-type")).toContain("text/vnd.graphviz");
    expect(await dot.text()).toBe(await cliGraph(checkout, "dot"));

    const stacks = await get(`/repos/${encodeURIComponent(repoFullName)}/stacks`);
    expect(await stacks.json()).toMatchObject({
      repo: repoFullName,
      default_branch: "main",
      sha: main,
      stacks: [
        {
          name: "network",
          tag_query: "dir:infra/vpc or dir:live/prod/vpc",
          depends_on: [],
          dirspaces: ["infra/vpc (default)", "live/prod/vpc (default)"],
        },
        { name: "apps", depends_on: ["network"], dirspaces: ["infra/web (default)"] },
      ],
      problems: [],
    });
    expect((await get("/repos/acme%2Fother/stacks")).status).toBe(404);

    const pull = openPullRequest(bed.github, {
      number: 12,
      changed: { "modules/network/main.tf": 'module "subnets" {\n  source = "./subnets"\n}\n# 2\n' },
    });
    await sendPullRequest(bed, "opened", pull);
    const layers = await (await get("/pull-requests/12/stacks")).json();
    expect(layers).toMatchObject({
      repo: repoFullName,
      number: 12,
      head_sha: pull.head.sha,
      current_layer: 0,
      layers: [
        {
          index: 0,
          state: "current",
          dirspaces: [
            { id: "infra/vpc (default)", state: "planned", plan: "queued", apply: null },
            { id: "live/prod/vpc (default)", state: "planned", plan: "queued", apply: null },
          ],
        },
        {
          index: 1,
          state: "waiting",
          dirspaces: [
            { id: "infra/web (default)", state: "unplanned", plan: null },
            { id: "live/prod/app (default)", state: "unplanned", plan: null },
          ],
        },
      ],
    });
  });
});
