// Repository refresh: a push to the default branch, repository events, the refresh API and the daily task.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/db/queries/api-keys.ts";
import { auditLog, defaultBranchSnapshots, installations, repositories } from "../../src/db/schema/index.ts";
import { createRefreshRepositoriesTask } from "../../src/jobs/refresh-repository.ts";
import { pullRequestEvent, pushEvent, repoFullName, repositoryEvent } from "./payloads.ts";
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

const nightly = `version: 1
dirs:
  infra/a: { tags: [prod] }
drift:
  enabled: true
  schedules:
    nightly: { cron: "0 3 * * *", tag_query: "prod" }
`;

/** A new commit on main with these files changed (the rest of main kept). */
function commitMain(files: Record<string, string>): string {
  const repo = bed.github.state.repo(repoFullName);
  const current = Object.fromEntries(bed.github.state.filesAt(repo, "main") ?? []);
  return bed.github.state.commit(repoFullName, "main", { ...current, ...files });
}

async function snapshot() {
  const [row] = await bed.database.client.db.select().from(defaultBranchSnapshots);
  return row;
}

async function repositoryRow() {
  const [row] = await bed.database.client.db.select().from(repositories);
  return row;
}

/** Requests that read the config file or list a tree. */
function reads(): number {
  return bed.github.state.requests.filter((request) => /\/contents\/|\/git\/trees\//.test(request.path))
    .length;
}

describe("a push to the default branch", () => {
  it("reads the config and the tree once per commit and picks up a config change", async () => {
    seedRepository(bed.github);
    const first = commitMain({ ".terragate/config.yml": nightly });
    expect(await bed.send("push", pushEvent(first))).toBe(202);
    await bed.work();
    let row = await snapshot();
    expect(row).toMatchObject({ sha: first, branch: "main", configProblems: [] });
    expect(row?.drift).toMatchObject({
      enabled: true,
      schedules: { nightly: { cron: "0 3 * * *", tag_query: "prod" } },
    });
    expect(row?.dirspaces).toContainEqual(
      expect.objectContaining({
        dir: "infra/a",
        workspace: "default",
        tags: ["prod", "dir:infra/a", "workspace:default"],
        // What a drift run needs: the workflow, and no reconcile unless a policy names the app.
        workflow: expect.objectContaining({ engine: { name: "terraform" } }),
        reconcile: false,
      }),
    );
    expect(row?.dirspaces.map((dirspace) => dirspace.dir).sort()).toEqual(["infra/a", "infra/b", "infra/c"]);

    // The same commit again (a redelivery under a new id, or a second push event): nothing is read again.
    const before = reads();
    expect(await bed.send("push", pushEvent(first))).toBe(202);
    await bed.work();
    expect(reads()).toBe(before);

    const second = commitMain({ ".terragate/config.yml": nightly.replace('"0 3 * * *"', '"30 2 * * 1-5"') });
    expect(await bed.send("push", pushEvent(second))).toBe(202);
    await bed.work();
    row = await snapshot();
    expect(row?.sha).toBe(second);
    expect(row?.drift).toMatchObject({ schedules: { nightly: { cron: "30 2 * * 1-5" } } });
  });

  it("ignores pushes to other branches and deleted branches", async () => {
    seedRepository(bed.github);
    const sha = commitMain({});
    expect(await bed.send("push", pushEvent(sha, { ref: "refs/heads/feature" }))).toBe(200);
    expect(await bed.send("push", pushEvent(sha, { deleted: true }))).toBe(200);
    await bed.work();
    expect(await snapshot()).toBeUndefined();
  });

  it("fails a `terragate config` check on the pushed commit when its config is broken", async () => {
    seedRepository(bed.github);
    const broken = commitMain({
      ".terragate/config.yml": "version: 1\ndrift:\n  enabled: true\n  schedulez: {}\n",
    });
    expect(await bed.send("push", pushEvent(broken))).toBe(202);
    await bed.work();
    const check = bed.github.state
      .repo(repoFullName)
      .checkRuns.find((run) => run.name === "terragate config");
    expect(check).toMatchObject({ headSha: broken, status: "completed", conclusion: "failure" });
    expect(check?.title).toBe("1 problem in .terragate/config.yml");
    expect(check?.summary).toMatch(/\.terragate\/config\.yml:4:3: drift\.schedulez: unknown key/);
    const row = await snapshot();
    expect(row?.configProblems).toHaveLength(1);
    expect(row?.drift).toBeNull();

    // The fix is picked up by the next push, and reports no failure.
    const fixed = commitMain({ ".terragate/config.yml": nightly });
    await bed.send("push", pushEvent(fixed));
    await bed.work();
    expect((await snapshot())?.configProblems).toEqual([]);
    expect(
      bed.github.state.repo(repoFullName).checkRuns.filter((run) => run.name === "terragate config"),
    ).toHaveLength(1);
  });
});

/** Terraform files read through the contents API (what the module index reads), by path. */
function terraformReads(): string[] {
  return bed.github.state.requests
    .filter((request) => request.method === "GET" && /\/contents\/.+\.(tf|hcl)$/.test(request.path))
    .map((request) => decodeURIComponent(request.path.replace(/^.*?\/contents\//, "")))
    .sort();
}

describe("the default branch's module index", () => {
  it("re-reads only the files whose content changed since the last commit read, and shares them with PRs", async () => {
    // Contents unique to this test: the worker's store outlives a test, and blob shas name content.
    const marker = `# ${Date.now()}-${Math.random()}`;
    // Every file's content differs, so each is a blob of its own (equal contents are read once).
    const files: Record<string, string> = {};
    for (const dir of ["infra/a", "infra/b", "infra/c", "modules/x"])
      files[`${dir}/main.tf`] = `${marker} ${dir}\n`;
    for (let n = 0; n < 12; n++) {
      files[`modules/m${n}/main.tf`] = `${marker}\nvariable "n${n}" {}\n`;
      files[`live/r${n}/main.tf`] = `${marker}\nmodule "m" {\n  source = "../../modules/m${n}"\n}\n`;
    }
    seedRepository(bed.github, files);
    const first = commitMain({});
    expect(await bed.send("push", pushEvent(first))).toBe(202);
    await bed.work();
    const indexed = [...bed.github.state.filesAt(bed.github.state.repo(repoFullName), "main")!.keys()]
      .filter((path) => path.endsWith(".tf"))
      .sort();
    expect(indexed).toHaveLength(28);
    expect(terraformReads()).toEqual(indexed);
    expect((await snapshot())?.dirspaces.map((dirspace) => dirspace.dir)).toContain("live/r3");

    // One module changed on main: its file alone is read again.
    bed.github.state.requests.length = 0;
    const second = commitMain({ "modules/m3/main.tf": `${marker}\nvariable "n3" {}\nvariable "m" {}\n` });
    expect(await bed.send("push", pushEvent(second))).toBe(202);
    await bed.work();
    expect((await snapshot())?.sha).toBe(second);
    expect(terraformReads()).toEqual(["modules/m3/main.tf"]);

    // A PR off main is evaluated by another task of the same worker: it reads only the file it changes.
    bed.github.state.requests.length = 0;
    const pull = openPullRequest(bed.github, {
      number: 31,
      changed: { "modules/m5/main.tf": `${marker}\nvariable "n5" { default = 1 }\n` },
    });
    expect(await bed.send("pull_request", pullRequestEvent("opened", pull))).toBe(202);
    await bed.work();
    expect(terraformReads()).toEqual(["modules/m5/main.tf"]);
    const [manifest] = await bed.database.client.sql<{ id: string }[]>`select id from work_manifests`;
    const dirs = await bed.database.client.sql<{ dir: string }[]>`
      select dir from work_manifest_dirspaces where work_manifest_id = ${manifest!.id}`;
    expect(dirs.map((row) => row.dir)).toEqual(["live/r5"]);
  });
});

describe("repository events", () => {
  it("follows a rename, archiving and a new default branch", async () => {
    const { repo } = seedRepository(bed.github);
    await bed.send("push", pushEvent(commitMain({})));
    await bed.work();

    // Renamed on GitHub: the fake now knows it under its new name only.
    bed.github.state.repos.delete(repoFullName);
    repo.name = "platform";
    bed.github.state.repos.set("acme/platform", repo);
    expect(await bed.send("repository", repositoryEvent("renamed", { name: "platform" }))).toBe(202);
    await bed.work();
    expect(await repositoryRow()).toMatchObject({
      fullName: "acme/platform",
      name: "platform",
      archived: false,
    });

    const release = bed.github.state.commit("acme/platform", "release", {
      ...Object.fromEntries(bed.github.state.filesAt(repo, "main") ?? []),
      ".terragate/config.yml": nightly,
    });
    repo.defaultBranch = "release";
    expect(
      await bed.send("repository", repositoryEvent("edited", { name: "platform", defaultBranch: "release" })),
    ).toBe(202);
    await bed.work();
    expect(await repositoryRow()).toMatchObject({ defaultBranch: "release" });
    expect(await snapshot()).toMatchObject({ branch: "release", sha: release });

    repo.archived = true;
    expect(
      await bed.send(
        "repository",
        repositoryEvent("archived", { name: "platform", defaultBranch: "release", archived: true }),
      ),
    ).toBe(202);
    await bed.work();
    expect((await repositoryRow())?.archived).toBe(true);

    expect(await bed.send("repository", repositoryEvent("deleted", { name: "platform" }))).toBe(202);
    await bed.work();
    expect((await repositoryRow())?.removedAt).not.toBeNull();
  });
});

describe("refresh on demand and daily", () => {
  async function token(capabilities: Parameters<typeof createApiKey>[1]["capabilities"]): Promise<string> {
    const [installation] = await bed.database.client.db.select().from(installations);
    const created = await createApiKey(bed.database.client.db, {
      installationId: installation!.id,
      name: "refresher",
      capabilities,
      createdBy: "test",
    });
    const response = await bed.app.request("/api/v1/access-token/refresh", {
      method: "POST",
      headers: { authorization: `Bearer ${created.key}` },
    });
    return ((await response.json()) as { access_token: string }).access_token;
  }

  function refresh(accessToken: string, body?: unknown) {
    return bed.app.request("/api/v1/github/installations/42/repos/refresh", {
      method: "POST",
      headers: {
        authorization: `Bearer ${accessToken}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  it("POST …/repos/refresh needs repos_refresh, queues the refresh, and is audited", async () => {
    seedRepository(bed.github);
    await bed.send("push", pushEvent(commitMain({})));
    await bed.work();
    // A change whose webhook never arrived.
    const missed = commitMain({ ".terragate/config.yml": nightly });

    const reader = await token(["installation_read"]);
    const refused = await refresh(reader, { repo: repoFullName });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({
      error: { code: "forbidden", details: { required: "repos_refresh" } },
    });

    const refresher = await token(["repos_refresh"]);
    const unknown = await refresh(refresher, { repo: "acme/nope" });
    expect(unknown.status).toBe(404);
    const bad = await refresh(refresher, { repo: 42 });
    expect(bad.status).toBe(400);

    const accepted = await refresh(refresher, { repo: "ACME/Infra" });
    expect(accepted.status).toBe(202);
    expect(await accepted.json()).toEqual({ queued: [repoFullName] });
    await bed.work();
    expect(await snapshot()).toMatchObject({ sha: missed });
    expect((await snapshot())?.drift).toMatchObject({ enabled: true });

    const all = await refresh(refresher);
    expect(await all.json()).toEqual({ queued: [repoFullName] });
    const audit = await bed.database.client.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, "repos.refresh"));
    expect(audit.map((entry) => entry.target)).toEqual([{ repo: repoFullName }, { repos: "*", count: 1 }]);
    expect(audit[0]?.actor).toMatch(/^api-key:/);
  });

  it("the daily task refreshes every live repository", async () => {
    seedRepository(bed.github);
    await bed.send("push", pushEvent(commitMain({})));
    await bed.work();
    const missed = commitMain({ ".terragate/config.yml": nightly });
    await createRefreshRepositoriesTask(bed.deps)({}, {} as never);
    await bed.work();
    expect(await snapshot()).toMatchObject({ sha: missed });
  });
});
