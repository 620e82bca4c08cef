// Dashboard pages and actions over HTTP: what each page shows, tenant walls, CSRF, buttons evaluated like comments, live state, keys.
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  auditLog,
  defaultBranchSnapshots,
  locks,
  pullRequests,
  repositories,
  workManifestDirspaces,
  workManifests,
} from "../../src/db/schema/index.ts";
import { createDashboardCommandTask } from "../../src/jobs/dashboard-command.ts";
import { CookieClient, csrfOf } from "./cookie-client.ts";
import { createDashboardBed, type DashboardBed } from "./dashboard-bed.ts";
import { signInOverHttp } from "./sign-in.ts";

let bed: DashboardBed;
let acme: { id: number; repoId: number };
let globex: { id: number; repoId: number };
let alice: CookieClient;
let bob: CookieClient;
const bigOutput = `Terraform will perform the following actions:\n\n  # terraform_data.big will be created\n  + resource "terraform_data" "big" {\n${"      + line of the plan that keeps going\n".repeat(40_000)}    }\n\n  # terraform_data.old will be destroyed\n  - resource "terraform_data" "old" {}\n\nPlan: 1 to add, 0 to change, 1 to destroy.\nEND-OF-PLAN`;

async function seedRun(input: {
  installationId: number;
  repositoryId: number;
  pullRequestId: number | null;
  kind: "plan" | "apply";
  state: "running" | "completed";
  createdAt?: Date;
  runConfig?: Record<string, unknown>;
  dirspaces: Array<{
    dir: string;
    output: string;
    state: "running" | "success" | "failure";
    hasChanges?: boolean;
  }>;
}): Promise<string> {
  const db = bed.database.client.db;
  const [manifest] = await db
    .insert(workManifests)
    .values({
      installationId: input.installationId,
      repositoryId: input.repositoryId,
      pullRequestId: input.pullRequestId,
      vcs: "github",
      kind: input.kind,
      state: input.state,
      baseRef: "main",
      baseSha: "b".repeat(40),
      headRef: "feature",
      headSha: "a".repeat(40),
      requestedBy: "alice",
      runUrl: "https://ci.example/runs/77",
      runId: "77",
      ...(input.createdAt ? { createdAt: input.createdAt } : {}),
      ...(input.runConfig ? { runConfig: input.runConfig } : {}),
    })
    .returning({ id: workManifests.id });
  await db.insert(workManifestDirspaces).values(
    input.dirspaces.map((dirspace) => ({
      workManifestId: manifest!.id,
      installationId: input.installationId,
      dir: dirspace.dir,
      workspace: "default",
      tags: dirspace.dir.includes("prod") ? ["prod"] : [],
      state: dirspace.state,
      success: dirspace.state === "running" ? null : dirspace.state === "success",
      hasChanges: dirspace.hasChanges ?? true,
      summary: { add: 1, change: 0, destroy: 1, import: 0 },
      exitCode: dirspace.state === "failure" ? 1 : 0,
      steps: [
        {
          name: "init",
          success: true,
          exit_code: 0,
          output: "Terraform has been successfully initialized!",
          duration_ms: 1200,
        },
        {
          name: "plan",
          success: dirspace.state !== "failure",
          exit_code: dirspace.state === "failure" ? 1 : 2,
          output: dirspace.output,
          duration_ms: 3400,
        },
      ],
    })),
  );
  return manifest!.id;
}

async function seedPull(installationId: number, repositoryId: number, number: number, author: string) {
  const [row] = await bed.database.client.db
    .insert(pullRequests)
    .values({
      installationId,
      repositoryId,
      number,
      title: `Change ${number}`,
      author,
      baseBranch: "main",
      baseSha: "b".repeat(40),
      headBranch: "feature",
      headSha: "a".repeat(40),
    })
    .returning({ id: pullRequests.id });
  return row!.id;
}

let acmePull: number;
let globexPull: number;
let acmeRun: string;
let globexRun: string;

beforeAll(async () => {
  bed = await createDashboardBed({ admins: "github:alice" });
  const a = bed.github.state.addRepo({ owner: "acme", name: "infra", installationId: 101 });
  const b = bed.github.state.addRepo({ owner: "globex", name: "infra", installationId: 202 });
  a.permissions.set("alice", "write");
  a.permissions.set("dave", "admin");
  b.permissions.set("bob", "admin");
  for (const login of ["alice", "bob", "dave"]) bed.github.state.oauth.addUser(login);
  bed.github.state.oauth.orgAdmins.add("globex/bob");
  acme = await bed.seedGithubInstallation({ externalId: 101, owner: "acme" });
  globex = await bed.seedGithubInstallation({ externalId: 202, owner: "globex" });
  acmePull = await seedPull(acme.id, acme.repoId, 7, "alice");
  globexPull = await seedPull(globex.id, globex.repoId, 9, "bob");
  acmeRun = await seedRun({
    installationId: acme.id,
    repositoryId: acme.repoId,
    pullRequestId: acmePull,
    kind: "plan",
    state: "completed",
    dirspaces: [
      { dir: "infra/prod", output: bigOutput, state: "success" },
      { dir: "infra/dev", output: "Error: Invalid reference\n  on main.tf line 3", state: "failure" },
    ],
  });
  globexRun = await seedRun({
    installationId: globex.id,
    repositoryId: globex.repoId,
    pullRequestId: globexPull,
    kind: "plan",
    state: "completed",
    dirspaces: [{ dir: "secret/globex", output: "globex-only output", state: "success" }],
  });
  await bed.database.client.db.insert(locks).values({
    installationId: acme.id,
    repositoryId: acme.repoId,
    dir: "infra/prod",
    workspace: "default",
    pullRequestId: acmePull,
  });
  alice = new CookieClient();
  await signInOverHttp(bed, alice, "alice");
  bob = new CookieClient();
  await signInOverHttp(bed, bob, "bob");
}, 60_000);

afterAll(async () => {
  await bed?.close();
});

const acmeBase = () => `${bed.url}/i/github/101`;

describe("pages", () => {
  it("shows a repository's dirspaces with their latest plan, and its open PRs; q filters by tag", async () => {
    // A dirspace of the default branch that never ran is listed too, with no results yet.
    await bed.database.client.db.insert(defaultBranchSnapshots).values({
      repositoryId: acme.repoId,
      installationId: acme.id,
      branch: "main",
      sha: "c".repeat(40),
      configProblems: [],
      dirspaces: [{ dir: "infra/idle", workspace: "default", tags: ["quiet"] }],
    });
    const idle = await alice.follow(`${acmeBase()}/repos/acme/infra?q=quiet`);
    expect(idle.text).toContain("<code>infra/idle</code>");
    expect(idle.text).not.toContain("<code>infra/prod</code>");
    const page = await alice.follow(`${acmeBase()}/repos/acme/infra`);
    expect(page.status).toBe(200);
    expect(page.text).toContain("<code>infra/prod</code>");
    expect(page.text).toContain("<code>infra/dev</code>");
    expect(page.text).toContain(`href="/i/github/101/runs/${acmeRun}"`);
    expect(page.text).toContain(`href="/i/github/101/pulls/${acmePull}">#7 Change 7`);
    const filtered = await alice.follow(`${acmeBase()}/repos/acme/infra?q=prod`);
    expect(filtered.text).toContain("<code>infra/prod</code>");
    expect(filtered.text).not.toContain("<code>infra/dev</code>");
    const bad = await alice.follow(`${acmeBase()}/repos/acme/infra?q=${encodeURIComponent("prod and (")}`);
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("q: ");
  });

  it("adds a drift column once runs outside any PR exist, saying which dirspaces drifted", async () => {
    expect((await alice.follow(`${acmeBase()}/repos/acme/infra`)).text).not.toContain("<th>Drift</th>");
    const drift = await seedRun({
      installationId: acme.id,
      repositoryId: acme.repoId,
      pullRequestId: null,
      kind: "plan",
      state: "completed",
      dirspaces: [
        { dir: "infra/prod", output: "  ~ update in place", state: "success", hasChanges: true },
        { dir: "infra/dev", output: "No changes.", state: "success", hasChanges: false },
      ],
    });
    const page = await alice.follow(`${acmeBase()}/repos/acme/infra`);
    expect(page.text).toContain("<th>Drift</th>");
    const prodRow = /<tr><td><code>infra\/prod<\/code>[\s\S]*?<\/tr>/.exec(page.text)?.[0] ?? "";
    expect(prodRow).toContain(`/runs/${drift}"><span class="badge s-failure">drifted</span>`);
    const devRow = /<tr><td><code>infra\/dev<\/code>[\s\S]*?<\/tr>/.exec(page.text)?.[0] ?? "";
    expect(devRow).toContain(">no drift</span>");
    await bed.database.client.db.delete(workManifests).where(eq(workManifests.id, drift));
  });

  it("shows each dirspace's newest result whatever order runs are written in, and the next newest once it is deleted", async () => {
    const pull = await seedPull(acme.id, acme.repoId, 71, "alice");
    const run = (state: "success" | "failure", minutesAgo: number) =>
      seedRun({
        installationId: acme.id,
        repositoryId: acme.repoId,
        pullRequestId: pull,
        kind: "plan",
        state: "completed",
        createdAt: new Date(Date.now() - minutesAgo * 60_000),
        dirspaces: [{ dir: "infra/order", output: "plan", state }],
      });
    const cell = async (path: string) =>
      /<tr><td><code>infra\/order<\/code>[\s\S]*?<\/tr>/.exec(
        (await alice.follow(`${acmeBase()}${path}`)).text,
      )?.[0] ?? "";
    const newest = await run("success", 10);
    const older = await run("failure", 20);
    for (const path of [`/pulls/${pull}`, "/repos/acme/infra"]) {
      expect(await cell(path), path).toContain(`/runs/${newest}"><span class="badge s-success">`);
    }
    // A run whose writing fails half-way (here: the second dirspace row breaks a constraint) leaves no trace.
    const [half] = await bed.database.client.db
      .insert(workManifests)
      .values({
        installationId: acme.id,
        repositoryId: acme.repoId,
        pullRequestId: pull,
        vcs: "github",
        kind: "plan",
        state: "completed",
        baseRef: "main",
        baseSha: "b".repeat(40),
        headRef: "feature",
        headSha: "a".repeat(40),
        requestedBy: "alice",
      })
      .returning({ id: workManifests.id });
    const row = {
      workManifestId: half!.id,
      installationId: acme.id,
      dir: "infra/order",
      workspace: "default",
    };
    await expect(bed.database.client.db.insert(workManifestDirspaces).values([row, row])).rejects.toThrow();
    expect(await cell(`/pulls/${pull}`)).toContain(`/runs/${newest}"`);
    // Another installation's session sees none of these rows.
    const foreign = await bed.database.client.sql.begin(async (tx) => {
      await tx.unsafe("set local role terragate_app");
      await tx`select set_config('terragate.installation_id', ${String(globex.id)}, true)`;
      return tx<
        { count: number }[]
      >`select count(*)::int as count from dirspace_latest_results where pull_request_id = ${pull}`;
    });
    expect(foreign[0]!.count).toBe(0);
    await bed.database.client.db.delete(workManifests).where(eq(workManifests.id, newest));
    for (const path of [`/pulls/${pull}`, "/repos/acme/infra"]) {
      expect(await cell(path), path).toContain(`/runs/${older}"><span class="badge s-failure">`);
    }
    await bed.database.client.db.delete(pullRequests).where(eq(pullRequests.id, pull));
    expect(await cell("/repos/acme/infra")).not.toContain("/runs/");
  });

  it("lists a stacked PR's layers in order, each dirspace with its state and why it is included", async () => {
    const pull = await seedPull(acme.id, acme.repoId, 72, "alice");
    const ref = (dir: string) => ({ dir, workspace: "default" });
    const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);
    const base = {
      installationId: acme.id,
      repositoryId: acme.repoId,
      pullRequestId: pull,
      state: "completed",
    } as const;
    await seedRun({
      ...base,
      kind: "apply",
      createdAt: minutesAgo(30),
      dirspaces: [{ dir: "stack/network", output: "Apply complete!", state: "success" }],
    });
    const layered = await seedRun({
      ...base,
      kind: "plan",
      createdAt: minutesAgo(20),
      runConfig: {
        notes: {
          layers: [[ref("stack/network")], [ref("stack/app"), ref("stack/db")]],
          reasons: [
            { ...ref("stack/app"), reasons: ["uses modules/net, changed", "<script>alert(1)</script>"] },
          ],
          waits: [{ dirspace: ref("stack/db"), waitsFor: [ref("stack/network")] }],
          indexErrors: [],
        },
      },
      dirspaces: [{ dir: "stack/app", output: "Plan: 1 to add", state: "success" }],
    });
    // A newer run whose stored notes are broken (a crash between versions, a hand edit) does not hide the good ones.
    await seedRun({
      ...base,
      kind: "plan",
      createdAt: minutesAgo(10),
      runConfig: { notes: { layers: "not a list" } },
      dirspaces: [{ dir: "elsewhere", output: "No changes.", state: "success", hasChanges: false }],
    });
    const page = (await alice.follow(`${acmeBase()}/pulls/${pull}`)).text;
    const section = /<h2>Stack layers<\/h2>[\s\S]*?<\/ol>/.exec(page)?.[0] ?? "";
    expect(section).toContain(`/runs/${layered}">the latest run</a>`);
    const layers = section.split("<li>Layer ").slice(1);
    expect(layers).toHaveLength(2);
    expect(layers[0]).toMatch(/^1 <span class="badge s-success">applied<\/span>/);
    expect(layers[0]).toMatch(
      /<code>stack\/network<\/code>[\s\S]*?>applied<\/span>[\s\S]*?its own files changed/,
    );
    expect(layers[1]).toMatch(/^2 <span class="badge s-running">current<\/span>/);
    expect(layers[1]).toMatch(
      /<code>stack\/app<\/code>[\s\S]*?>planned<\/span>[\s\S]*?uses modules\/net, changed; &lt;script&gt;/,
    );
    expect(layers[1]).toMatch(
      /<code>stack\/db<\/code>[\s\S]*?>not planned<\/span>[\s\S]*?planned before <code>stack\/network<\/code> \(default\) was applied/,
    );
    expect(section).not.toContain("<script>");
    // A PR no stack orders has no such section.
    expect((await alice.follow(`${acmeBase()}/pulls/${acmePull}`)).text).not.toContain("Stack layers");
    await bed.database.client.db.delete(pullRequests).where(eq(pullRequests.id, pull));
  });

  it("shows what a PR's author wrote as text, never as markup", async () => {
    const id = await seedPull(acme.id, acme.repoId, 66, "mallory");
    await bed.database.client.db
      .update(pullRequests)
      .set({ title: '<img src=x onerror="alert(1)">', headBranch: "<b>branch</b>" })
      .where(eq(pullRequests.id, id));
    const page = await alice.follow(`${acmeBase()}/pulls/${id}`);
    expect(page.text).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
    expect(page.text).toContain("<code>&lt;b&gt;branch&lt;/b&gt;</code>");
    expect(page.text).not.toContain("<img src=x");
    await bed.database.client.db.delete(pullRequests).where(eq(pullRequests.id, id));
  });

  it("shows a PR's dirspaces, locks and runs, with Plan and Apply buttons", async () => {
    const page = await alice.follow(`${acmeBase()}/pulls/${acmePull}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`action="/i/github/101/pulls/${acmePull}/plan"`);
    expect(page.text).toContain(`action="/i/github/101/pulls/${acmePull}/apply"`);
    expect(page.text).toContain("2 dirspaces, 1 failed");
    expect(page.text).toContain("1 dirspace is locked by this pull request");
  });

  it("shows every line of a run's output with diff colours, exit codes, timings and the CI link", async () => {
    const page = await alice.follow(`${acmeBase()}/runs/${acmeRun}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain("END-OF-PLAN");
    expect(page.text.split("+ line of the plan that keeps going").length - 1).toBe(40_000);
    expect(page.text).toContain(
      '<span class="d">  - resource &quot;terraform_data&quot; &quot;old&quot; {}</span>',
    );
    expect(page.text).toContain('<span class="d">Error: Invalid reference</span>');
    expect(page.text).toContain("exit 2 · 3.4 s");
    expect(page.text).toContain('href="https://ci.example/runs/77"');
    // The failed dirspace is open; a finished run does not poll.
    expect(page.text).toMatch(/<details class="dirspace" id="ds-0" open>[\s\S]*infra\/dev/);
    expect(page.text).not.toContain("data-live=");
  });

  it("lists runs by tag query, kind and order, and pages through them", async () => {
    const prod = await alice.follow(`${acmeBase()}/runs?q=${encodeURIComponent("dir:infra/prod")}&kind=plan`);
    expect(prod.text).toContain(`/runs/${acmeRun}"`);
    const none = await alice.follow(`${acmeBase()}/runs?q=staging`);
    expect(none.text).not.toContain(`/runs/${acmeRun}"`);
    expect(none.text).toContain("No runs.");
  });

  it("answers 404 for another installation's pages, and for its rows under one's own installation", async () => {
    for (const path of [
      "/i/github/202",
      `/i/github/202/pulls/${globexPull}`,
      `/i/github/202/runs/${globexRun}`,
      `/i/github/101/runs/${globexRun}`,
      `/i/github/101/pulls/${globexPull}`,
      "/i/github/101/repos/globex/infra",
    ]) {
      const page = await alice.follow(`${bed.url}${path}`);
      expect(page.status, path).toBe(404);
      expect(page.text).not.toContain("globex-only output");
    }
    const form = { _csrf: csrfOf((await alice.follow(`${acmeBase()}/locks`)).text) };
    const foreign = await alice.request(`${bed.url}/i/github/101/pulls/${globexPull}/apply`, {
      method: "POST",
      form,
    });
    expect(foreign.status).toBe(404);
  });

  it("shows the admin page to server admins only", async () => {
    const page = await alice.follow(`${bed.url}/admin`);
    expect(page.status).toBe(200);
    expect(page.text).toContain("Job queues");
    expect(page.text).toContain("globex");
    expect((await bob.follow(`${bed.url}/admin`)).status).toBe(404);
  });
});

describe("GitLab", () => {
  it("shows a group's merge requests and runs in GitLab's words, and queues presses on the MR's own queue", async () => {
    const erin = bed.gitlab.state.addUser("erin");
    bed.gitlab.state.setMember("group", 77, erin, 30);
    const group = await bed.seedGitlabInstallation({ externalId: 77, login: "acme-group" });
    const [repo] = await bed.database.client.db
      .insert(repositories)
      .values({
        installationId: group.id,
        vcs: "gitlab",
        externalId: "555",
        owner: "acme-group",
        name: "infra",
        fullName: "acme-group/infra",
      })
      .returning({ id: repositories.id });
    const mr = await seedPull(group.id, repo!.id, 5, "erin");
    const run = await seedRun({
      installationId: group.id,
      repositoryId: repo!.id,
      pullRequestId: mr,
      kind: "plan",
      state: "completed",
      dirspaces: [{ dir: "infra/gl", output: "  + gitlab plan", state: "success" }],
    });
    const client = new CookieClient();
    const authorize = await client.request(`${bed.url}/auth/gitlab/sign-in`);
    const consent = await client.request(authorize.location!);
    const fields = Object.fromEntries(
      [...consent.text.matchAll(/name="(\w+)" value="([^"]*)"/g)].map((match) => [match[1]!, match[2]!]),
    );
    const approved = await client.request(`${bed.gitlab.url}/oauth/authorize`, {
      method: "POST",
      form: { ...fields, login: "erin" },
    });
    await client.follow(approved.location!);
    const list = await client.follow(`${bed.url}/i/gitlab/77/pulls`);
    expect(list.text).toContain("<h1>Merge requests</h1>");
    expect(list.text).toContain(`href="/i/gitlab/77/pulls/${mr}">!5 Change 5`);
    expect((await client.follow(`${bed.url}/i/gitlab/77/runs/${run}`)).text).toContain(">!5</a>");
    expect((await client.follow(`${bed.url}/i/github/101/runs/${acmeRun}`)).status).toBe(404);
    const page = await client.follow(`${bed.url}/i/gitlab/77/pulls/${mr}`);
    await client.request(`${bed.url}/i/gitlab/77/pulls/${mr}/plan`, {
      method: "POST",
      form: { _csrf: csrfOf(page.text) },
    });
    const jobs = await bed.database.client.db.execute(
      sql`select q.queue_name from graphile_worker._private_jobs j
        join graphile_worker._private_job_queues q on q.id = j.job_queue_id where j.payload->>'login' = 'erin'`,
    );
    expect([...jobs]).toEqual([{ queue_name: "gitlab:pr:555:5" }]);
    await bed.database.client.db.execute(
      sql`delete from graphile_worker._private_jobs where payload->>'login' = 'erin'`,
    );
  });
});

describe("actions", () => {
  it("refuses a button press without the CSRF token, and one from another site", async () => {
    const none = await alice.request(`${acmeBase()}/pulls/${acmePull}/plan`, { method: "POST", form: {} });
    expect(none.status).toBe(403);
    const token = csrfOf((await alice.follow(`${acmeBase()}/pulls/${acmePull}`)).text);
    const crossSite = await alice.request(`${acmeBase()}/pulls/${acmePull}/plan`, {
      method: "POST",
      form: { _csrf: token },
      headers: { origin: "https://evil.example" },
    });
    expect(crossSite.status).toBe(403);
    const queued = await bed.database.client.db.execute(
      sql`select count(*)::int as n from graphile_worker.jobs where task_identifier = 'dashboard-command'`,
    );
    expect([...queued][0]).toEqual({ n: 0 });
  });

  it("Unlock from the locks page runs `terragate unlock` as the person, tells the PR, and is audited", async () => {
    const repo = bed.github.state.repo("acme/infra");
    repo.defaultBranch = "main";
    bed.github.state.commit("acme/infra", "main", {
      "infra/prod/main.tf": 'resource "terraform_data" "x" {}\n',
    });
    bed.github.state.commit("acme/infra", "feature", {
      "infra/prod/main.tf": 'resource "terraform_data" "y" {}\n',
    });
    bed.github.state.openPullRequest("acme/infra", {
      number: 7,
      author: "alice",
      base: "main",
      head: "feature",
      files: ["infra/prod/main.tf"],
    });
    const page = await alice.follow(`${acmeBase()}/locks`);
    expect(page.text).toContain("<code>infra/prod</code>");
    const response = await alice.request(`${acmeBase()}/locks/unlock`, {
      method: "POST",
      form: { _csrf: csrfOf(page.text), pull_request_id: String(acmePull) },
    });
    expect(response.status).toBe(303);
    await bed.work();
    expect(
      await bed.database.client.db.select().from(locks).where(eq(locks.installationId, acme.id)),
    ).toEqual([]);
    const comments = bed.github.state.botComments("acme/infra", 7).map((comment) => comment.body);
    expect(
      comments.some((body) => body.includes("@alice pressed **unlock** in the Terragate dashboard")),
    ).toBe(true);
    expect(comments.some((body) => body.startsWith("<!-- terragate:unlock:pr-7 -->"))).toBe(true);
    const entries = await bed.database.client.db
      .select({ actor: auditLog.actor, action: auditLog.action, target: auditLog.target })
      .from(auditLog)
      .where(and(eq(auditLog.installationId, acme.id), sql`${auditLog.action} like 'dashboard.%'`));
    expect(entries).toContainEqual(
      expect.objectContaining({ actor: "github:alice", action: "dashboard.unlock" }),
    );
    expect(entries).toContainEqual(
      expect.objectContaining({
        action: "dashboard.outcome",
        target: expect.objectContaining({ outcome: "unlocked", released: 1 }),
      }),
    );
    const released = await bed.database.client.db
      .select({ target: auditLog.target })
      .from(auditLog)
      .where(and(eq(auditLog.installationId, acme.id), eq(auditLog.action, "lock.unlock")));
    expect(released).toEqual([
      {
        target: expect.objectContaining({
          via: "dashboard",
          dirspaces: [{ dir: "infra/prod", workspace: "default", pull_request: 7 }],
        }),
      },
    ]);
    const audit = await alice.follow(`${acmeBase()}/audit?action=dashboard.unlock`);
    expect(audit.text).toContain("github:alice");
    expect(audit.text).not.toContain("dashboard.outcome</code>");
  });

  it("Plan runs as the signed-in person through the evaluator, and the PR says it came from the dashboard", async () => {
    const acmeManifests = () =>
      bed.database.client.db.select().from(workManifests).where(eq(workManifests.installationId, acme.id));
    const before = (await acmeManifests()).length;
    const page = await alice.follow(`${acmeBase()}/pulls/${acmePull}`);
    const response = await alice.request(`${acmeBase()}/pulls/${acmePull}/plan`, {
      method: "POST",
      form: { _csrf: csrfOf(page.text), q: "" },
    });
    expect(response.status).toBe(303);
    expect(response.location).toBe(`${acmeBase()}/pulls/${acmePull}?queued=plan`);
    await bed.work();
    const manifests = await acmeManifests();
    expect(manifests.length).toBe(before + 1);
    const started = manifests.find((row) => row.commentId?.startsWith("dashboard:"));
    expect(started).toMatchObject({ kind: "plan", requestedBy: "alice" });
    const after = await alice.follow(`${acmeBase()}/pulls/${acmePull}`);
    expect(after.text).toContain("plan: run started");

    // A worker that died after starting the run retries the job: the same press starts nothing more.
    const task = createDashboardCommandTask(bed.deps);
    const payload = {
      installationId: acme.id,
      repositoryId: acme.repoId,
      prNumber: 7,
      kind: "plan",
      argument: "",
      actor: "github:alice",
      login: "alice",
      actionId: started!.commentId!.slice("dashboard:".length),
    };
    await task(payload, {} as never);
    expect((await acmeManifests()).length).toBe(before + 1);
    // A payload that is not one (a hand-added job) fails without acting.
    await expect(task({ ...payload, kind: "destroy" }, {} as never)).rejects.toThrow(/kind/);
    expect((await acmeManifests()).length).toBe(before + 1);
  });
});

describe("live", () => {
  it("a PR page polls while a press waits for its outcome, and stops once it has one", async () => {
    const path = `${bed.url}/i/github/202/pulls/${globexPull}`;
    const state = async () =>
      JSON.parse((await bob.request(`${path}/state`, { headers: { accept: "application/json" } })).text);
    const quiet = await bob.follow(path);
    expect(quiet.text).not.toContain("data-live=");
    const pressed = await bob.request(`${path}/plan`, {
      method: "POST",
      form: { _csrf: csrfOf(quiet.text) },
    });
    expect(pressed.status).toBe(303);
    const waiting = await bob.follow(path);
    expect(waiting.text).toContain(`data-live="/i/github/202/pulls/${globexPull}/state"`);
    const before = await state();
    expect(before.live).toBe(true);
    await bed.work();
    const after = await state();
    expect(after.version).not.toBe(before.version);
    expect(after.live).toBe(false);
    expect((await bob.follow(path)).text).not.toContain("data-live=");
    expect((await alice.request(`${path}/state`, { headers: { accept: "application/json" } })).status).toBe(
      404,
    );
  });

  it("a running run's page polls a state that changes when a dirspace reports", async () => {
    const id = await seedRun({
      installationId: acme.id,
      repositoryId: acme.repoId,
      pullRequestId: acmePull,
      kind: "apply",
      state: "running",
      dirspaces: [{ dir: "infra/live", output: "", state: "running" }],
    });
    const page = await alice.follow(`${acmeBase()}/runs/${id}`);
    expect(page.text).toContain(`data-live="/i/github/101/runs/${id}/state"`);
    const first = await alice.request(`${acmeBase()}/runs/${id}/state`, {
      headers: { accept: "application/json" },
    });
    const before = JSON.parse(first.text);
    expect(before).toMatchObject({ state: "running", live: true });
    await bed.database.client.db
      .update(workManifestDirspaces)
      .set({ state: "success", reportedAt: new Date() })
      .where(eq(workManifestDirspaces.workManifestId, id));
    const second = JSON.parse(
      (await alice.request(`${acmeBase()}/runs/${id}/state`, { headers: { accept: "application/json" } }))
        .text,
    );
    expect(second.version).not.toBe(before.version);
    const foreign = await bob.request(`${bed.url}/i/github/202/runs/${id}/state`, {
      headers: { accept: "application/json" },
    });
    expect(foreign.status).toBe(404);
  });
});

describe("API keys", () => {
  it("an installation admin creates a key shown once, lists it without the secret, and revokes it (audited)", async () => {
    const page = await bob.follow(`${bed.url}/i/github/202/api-keys`);
    expect(page.status).toBe(200);
    const created = await bob.request(`${bed.url}/i/github/202/api-keys`, {
      method: "POST",
      form: {
        _csrf: csrfOf(page.text),
        name: "ci reader",
        capability: "installation_read",
        unlock: "globex/infra",
      },
    });
    expect(created.status).toBe(201);
    const key = /<code id="new-key" class="wrap">(tgk_[^<]+)<\/code>/.exec(created.text)?.[1];
    expect(key).toBeDefined();
    const listed = await bob.follow(`${bed.url}/i/github/202/api-keys`);
    expect(listed.text).toContain("ci reader");
    expect(listed.text).toContain("installation_read unlock:globex/infra");
    expect(listed.text).not.toContain(key!);
    const refresh = await fetch(`${bed.url}/api/v1/access-token/refresh`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}` },
    });
    expect(refresh.status).toBe(200);
    const revokeAction = /action="(\/i\/github\/202\/api-keys\/[^"]+\/revoke)"/.exec(listed.text)?.[1];
    const revoked = await bob.request(`${bed.url}${revokeAction}`, {
      method: "POST",
      form: { _csrf: csrfOf(listed.text) },
    });
    expect(revoked.status).toBe(303);
    const after = await fetch(`${bed.url}/api/v1/access-token/refresh`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}` },
    });
    expect(after.status).toBe(401);
    const audit = await bob.follow(`${bed.url}/i/github/202/audit?actor=github:bob`);
    expect(audit.text).toContain("api_key.create");
    expect(audit.text).toContain("api_key.revoke");
  });

  it("refuses a key without capabilities, or with an unknown one, saying which", async () => {
    const page = await bob.follow(`${bed.url}/i/github/202/api-keys`);
    const empty = await bob.request(`${bed.url}/i/github/202/api-keys`, {
      method: "POST",
      form: { _csrf: csrfOf(page.text), name: "x" },
    });
    expect(empty.status).toBe(400);
    expect(empty.text).toContain("choose at least one capability");
    const bad = await bob.request(`${bed.url}/i/github/202/api-keys`, {
      method: "POST",
      form: { _csrf: csrfOf(page.text), name: "x", capability: "root" },
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("unknown capability &quot;root&quot;");
  });

  it("is not there for a member who is not an admin", async () => {
    expect((await alice.follow(`${acmeBase()}/api-keys`)).status).toBe(404);
  });
});
