// The dashboard in a real browser: sign-in through the fake OAuth, a real terraform plan on the PR page, Apply refused and
// allowed by policy, live run page, Unlock audited, tenant walls, refresh-token reuse, screenshots and an accessibility pass.
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  installations,
  locks,
  pullRequests,
  repositories,
  workManifestDirspaces,
  workManifests,
} from "../../src/db/schema/index.ts";
import { workflowSnippet } from "../../src/vcs/github/workflow-snippet.ts";
import { mirrorCommit, startRunner } from "../e2e/e2e-bed.ts";
import type { FakeDispatch } from "../fakes/github/state.ts";
import { installationId, pullRequestEvent, repoFullName } from "../github/payloads.ts";
import { git, terraformRoot } from "../runner/runner-fixtures.ts";
import {
  findChromium,
  launchChromium,
  screenshotsAndPhoneOverflow,
  seriousViolations,
  viewports,
} from "./browser.ts";
import { createDashboardBed, type DashboardBed } from "./dashboard-bed.ts";

const chromiumFound = findChromium();
if ("reason" in chromiumFound) console.warn(`dashboard browser tests skipped: ${chromiumFound.reason}`);

const config = `version: 1
access_control:
  policies:
    - tag_query: ""
      plan: ["*"]
      apply: ["user:alice"]
      unlock: ["user:alice"]
`;

let bed: DashboardBed;
let browser: Browser;
let root: string;
let home: string;
const contexts: BrowserContext[] = [];
const base = `/i/github/${installationId}`;
/** Alice's page, signed in from the first test on. */
let alice: Page;
/** The page everyone else uses, one person after another (see newVisitor). */
let visitor: Page;

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: viewports.desktop });
  contexts.push(context);
  const page = await context.newPage();
  page.on("dialog", (dialog) => void dialog.accept());
  return page;
}

/**
 * The visitor's page with its cookies cleared: to the dashboard, a browser that has never signed in (it keeps
 * nothing else of a person). Each new browser context cost about a second of the browser's CPU.
 */
async function newVisitor(): Promise<Page> {
  await visitor.context().clearCookies();
  return visitor;
}

/**
 * What the end of the access token's life does, without waiting for it: the browser sends no access token,
 * so the next request refreshes the session (rotating the refresh token and asking the VCS again).
 */
async function expireAccess(page: Page): Promise<void> {
  await page.context().clearCookies({ name: "tg_session" });
}

/** Signs in as `login` from `path` (else from the page it is on) through the sign-in button and the fake GitHub's authorize page. */
async function signIn(page: Page, login: string, path?: string): Promise<void> {
  if (path !== undefined) await page.goto(`${bed.url}${path}`);
  await page.getByRole("link", { name: "Sign in with GitHub" }).click();
  await page.getByLabel("Username").fill(login);
  await page.getByRole("button", { name: "Authorize" }).click();
  await page.waitForURL((url) => url.origin === bed.url && !url.search.includes("code="));
}

function lastDispatch(): FakeDispatch {
  const dispatch = bed.github.state.dispatches.at(-1);
  if (!dispatch) throw new Error("nothing was dispatched");
  return dispatch;
}

async function runDispatched(): Promise<void> {
  const run = await startRunner(root, home, lastDispatch());
  expect(run.exitCode, run.stderr).toBe(0);
  await bed.work();
}

/** Both widths saved, nothing wider than a phone, no serious accessibility problem. */
async function checkPage(page: Page, name: string): Promise<void> {
  const phoneOverflow = await screenshotsAndPhoneOverflow(page, name);
  expect(phoneOverflow, `${name} scrolls sideways at 375 px`).toBeLessThanOrEqual(0);
  expect(await seriousViolations(page), `${name}: serious accessibility violations`).toEqual([]);
}

function bot(kind: string): string | undefined {
  return bed.github.state
    .botComments(repoFullName, 1)
    .find((comment) => comment.body.startsWith(`<!-- terragate:${kind}:pr-1 -->`))?.body;
}

describe.skipIf("reason" in chromiumFound)("the dashboard in Chromium", { timeout: 180_000 }, () => {
  let pullPath: string;

  beforeAll(async () => {
    bed = await createDashboardBed({ accessTtlSeconds: 3, admins: "github:alice" });
    browser = await launchChromium((chromiumFound as { path: string }).path);
    const scratch = await mkdtemp(path.join(tmpdir(), "terragate-dashboard-"));
    root = path.join(scratch, "repo");
    home = path.join(scratch, "home");
    await mkdir(path.join(root, ".github/workflows"), { recursive: true });
    await mkdir(path.join(root, ".terragate"), { recursive: true });
    await mkdir(home, { recursive: true });
    await git(root, ["init", "-q", "-b", "main"]);
    await writeFile(path.join(root, ".github/workflows/terragate.yml"), `${workflowSnippet(bed.url)}\n`);
    await writeFile(path.join(root, ".terragate/config.yml"), config);
    await writeFile(
      path.join(root, ".gitignore"),
      ".terraform/\n*.tfstate\n*.tfstate.*\n.terraform.lock.hcl\n",
    );
    await git(root, ["add", "."]);
    await git(root, ["commit", "-q", "-m", "initial"]);
    const repo = bed.github.state.addRepo({ owner: "acme", name: "infra", installationId });
    bed.github.state
      .addRepo({ owner: "globex", name: "infra", installationId: 202 })
      .permissions.set("carol", "admin");
    repo.permissions.set("alice", "admin");
    repo.permissions.set("bob", "write");
    for (const login of ["alice", "bob", "carol"]) bed.github.state.oauth.addUser(login);
    bed.github.state.oauth.orgAdmins.add("acme/alice");
    await mirrorCommit(bed.github, repoFullName, root, "main");
    const db = bed.database.client.db;
    await db
      .insert(installations)
      .values({ vcs: "github", externalId: String(installationId), accountLogin: "acme" });
    await bed.seedGithubInstallation({ externalId: 202, owner: "globex" });

    // A PR whose autoplan runs real terraform.
    await git(root, ["checkout", "-q", "-B", "feature", "main"]);
    await mkdir(path.join(root, "infra/a"), { recursive: true });
    await writeFile(path.join(root, "infra/a/main.tf"), terraformRoot("a", 3));
    await git(root, ["add", "."]);
    await git(root, ["commit", "-q", "-m", "add infra/a"]);
    await mirrorCommit(bed.github, repoFullName, root, "feature");
    await git(root, ["checkout", "-q", "main"]);
    const pull = bed.github.state.openPullRequest(repoFullName, {
      number: 1,
      author: "alice",
      base: "main",
      head: "feature",
      files: ["infra/a/main.tf"],
    });
    expect(await bed.send("pull_request", pullRequestEvent("opened", pull))).toBe(202);
    await bed.work();
    await runDispatched();
    alice = await newPage();
    visitor = await newPage();
  }, 180_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await bed?.close();
  });

  it("signs in with GitHub and walks installations → repository → PR → run, showing the real plan", async () => {
    await alice.goto(bed.url);
    await checkPage(alice, "sign-in");
    await signIn(alice, "alice");
    await expect.poll(() => alice.locator("h1").textContent()).toBe("Installations");
    await checkPage(alice, "installations");
    await alice.getByRole("link", { name: "acme" }).click();
    await checkPage(alice, "repositories");
    await alice.getByRole("link", { name: "acme/infra" }).first().click();
    expect(await alice.locator("table.dirspaces").textContent()).toContain("infra/a");
    await checkPage(alice, "repository");
    await alice.getByRole("link", { name: /#1 / }).click();
    pullPath = new URL(alice.url()).pathname;
    expect(await alice.locator("main").textContent()).toContain("+3 ~0 -0");
    await checkPage(alice, "pull-request");
    await alice
      .locator("main table")
      .first()
      .getByRole("link", { name: /changes/ })
      .click();
    const output = await alice.locator("pre.out").allTextContents();
    expect(output.join("\n")).toContain("Plan: 3 to add, 0 to change, 0 to destroy.");
    // terraform's additions are green: their lines carry the add class.
    expect(await alice.locator("pre.out span.a").count()).toBeGreaterThanOrEqual(3);
    await checkPage(alice, "run");
  });

  it("refuses Apply for a member without the apply policy, and says so on the PR", async () => {
    const bob = await newVisitor();
    await signIn(bob, "bob", pullPath);
    await bob.getByRole("button", { name: "Apply" }).click();
    await bob.waitForURL(/queued=apply/);
    const dispatches = bed.github.state.dispatches.length;
    await bed.work();
    expect(bed.github.state.dispatches.length).toBe(dispatches);
    expect(bot("dashboard")).toContain("@bob pressed **apply** in the Terragate dashboard");
    expect(bot("refusal")).toContain("bob");
    await bob.reload();
    expect(await bob.locator("main").textContent()).toContain("apply: refused");
  });

  it("applies for a member with the policy, and the running run's page updates without a reload", async () => {
    await alice.goto(`${bed.url}${pullPath}`);
    await alice.getByRole("button", { name: "Apply" }).click();
    await alice.waitForURL(/queued=apply/);
    await bed.work();
    const dispatch = lastDispatch();
    const manifestId = dispatch.inputs["work-manifest-id"]!;
    const [manifest] = await bed.database.client.db
      .select()
      .from(workManifests)
      .where(eq(workManifests.id, manifestId));
    expect(manifest).toMatchObject({ kind: "apply", requestedBy: "alice", state: "dispatched" });
    expect(bot("dashboard")).toContain("@alice pressed **apply** in the Terragate dashboard");

    await alice.goto(`${bed.url}${base}/runs/${manifestId}`);
    expect(await alice.locator("main").getAttribute("data-live")).toBe(`${base}/runs/${manifestId}/state`);
    // A mark on the page's global object survives only if the page is never reloaded.
    await alice.evaluate(() => {
      (globalThis as unknown as { marker: number }).marker = 1;
    });
    await runDispatched();
    await expect
      .poll(() => alice.locator("main").textContent(), { timeout: 20_000 })
      .toContain("Apply complete! Resources: 3 added");
    expect(await alice.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(1);
    expect(await alice.locator("main").getAttribute("data-live")).toBeNull();
  });

  it("lists runs and pull requests, filtered by the URL's parameters", async () => {
    await alice.goto(`${bed.url}${base}/runs?kind=apply`);
    expect(await alice.locator("main table").textContent()).toContain("apply");
    expect(await alice.locator("main table").textContent()).not.toContain("plan");
    await checkPage(alice, "runs");
    await alice.goto(`${bed.url}${base}/pulls`);
    expect(await alice.locator("main table").textContent()).toContain("#1");
    await checkPage(alice, "pull-requests");
  });

  it("unlocks from the locks page, and the audit log shows who did it", async () => {
    expect(await bed.database.client.db.select().from(locks)).toHaveLength(1);
    await alice.goto(`${bed.url}${base}/locks`);
    await checkPage(alice, "locks");
    await alice.getByRole("button", { name: "Unlock" }).click();
    await alice.waitForURL(/queued=unlock/);
    await bed.work();
    expect(await bed.database.client.db.select().from(locks)).toEqual([]);
    await alice.goto(`${bed.url}${base}/audit?action=dashboard.unlock`);
    expect(await alice.locator("main table").textContent()).toContain("github:alice");
    await alice.goto(`${bed.url}${base}/audit`);
    expect(await alice.locator("main table").textContent()).toContain('"outcome":"unlocked"');
    await checkPage(alice, "audit-log");
  });

  it("creates an API key shown once, and shows the admin page", async () => {
    await alice.goto(`${bed.url}${base}/api-keys`);
    await alice.getByLabel("Name").fill("deploy bot");
    await alice.getByLabel("installation_read").check();
    await alice.getByRole("button", { name: "Create key" }).click();
    const key = await alice.locator("#new-key").textContent();
    expect(key).toMatch(/^tgk_/);
    await checkPage(alice, "api-keys");
    await alice.reload();
    expect(await alice.locator("main").textContent()).not.toContain(key!);
    await alice.goto(`${bed.url}/admin`);
    expect(await alice.locator("main").textContent()).toContain("Job queues");
    await checkPage(alice, "admin");
  });

  it("keeps each person to their installations: another one's pages and buttons answer 404", async () => {
    const carol = await newVisitor();
    await signIn(carol, "carol", "/");
    expect(await carol.locator("main").textContent()).toContain("globex");
    expect(await carol.locator("main").textContent()).not.toContain("acme");
    const response = await carol.goto(`${bed.url}${pullPath}`);
    expect(response?.status()).toBe(404);
    const token = await carol.locator('meta[name="csrf-token"]').getAttribute("content");
    const post = await carol.request.post(`${bed.url}${pullPath}/apply`, {
      form: { _csrf: token ?? "" },
      maxRedirects: 0,
    });
    expect(post.status()).toBe(404);
  });

  it("ends the session when an old refresh token is used again", async () => {
    const page = await newVisitor();
    // Signed out, a page asked for leads to the sign-in and back to it.
    await signIn(page, "alice", `${base}/locks`);
    expect(new URL(page.url()).pathname).toBe(`${base}/locks`);
    const refreshOf = async () =>
      (await page.context().cookies()).find((cookie) => cookie.name === "tg_refresh")?.value;
    const first = await refreshOf();
    // Past the access token's 3 s the next page refreshes and rotates the refresh token; twice, so that
    // the first token's successor was used too (a race of one page's requests has a short grace). The second
    // time the access cookie is dropped instead of waiting: the same refresh, without the 3.5 s.
    await page.waitForTimeout(3_500);
    await page.reload();
    const second = await refreshOf();
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    await expireAccess(page);
    await page.reload();
    expect(await refreshOf()).not.toBe(second);

    const thief = await browser.newContext();
    contexts.push(thief);
    await thief.addCookies([{ name: "tg_refresh", value: first!, url: bed.url }]);
    const stolen = await thief.newPage();
    await stolen.goto(`${bed.url}${base}/locks`);
    expect(new URL(stolen.url()).pathname).toBe("/");
    expect(await stolen.getByRole("link", { name: "Sign in with GitHub" }).count()).toBe(1);
    await thief.close();

    // The page's own access token is still good for a moment; at its next refresh the session is over.
    await expireAccess(page);
    await page.goto(`${bed.url}${base}/locks`);
    expect(new URL(page.url()).pathname).toBe("/");
    expect(await page.getByRole("link", { name: "Sign in with GitHub" }).count()).toBe(1);
  });

  it("signs in with GitLab: only the person's groups, is-member for them, GitLab's words; removed from the group, gone at the next refresh", async () => {
    const erin = bed.gitlab.state.addUser("erin");
    bed.gitlab.state.setMember("group", 77, erin, 30);
    bed.gitlab.state.setMember("group", 88, bed.gitlab.state.addUser("dave"), 50);
    const group = await bed.seedGitlabInstallation({ externalId: 77, login: "platform" });
    await bed.seedGitlabInstallation({ externalId: 88, login: "secret-group" });
    const db = bed.database.client.db;
    const [repo] = await db
      .insert(repositories)
      .values({
        installationId: group.id,
        vcs: "gitlab",
        externalId: "556",
        owner: "platform",
        name: "network",
        fullName: "platform/network",
      })
      .returning({ id: repositories.id });
    const [mr] = await db
      .insert(pullRequests)
      .values({
        installationId: group.id,
        repositoryId: repo!.id,
        number: 4,
        title: "Open the VPN port",
        author: "erin",
        baseBranch: "main",
        baseSha: "b".repeat(40),
        headBranch: "vpn",
        headSha: "c".repeat(40),
      })
      .returning({ id: pullRequests.id });
    const [run] = await db
      .insert(workManifests)
      .values({
        installationId: group.id,
        repositoryId: repo!.id,
        pullRequestId: mr!.id,
        vcs: "gitlab",
        kind: "plan",
        state: "completed",
        baseRef: "main",
        baseSha: "b".repeat(40),
        headRef: "vpn",
        headSha: "c".repeat(40),
        requestedBy: "erin",
        runUrl: "https://gitlab.example/platform/network/-/pipelines/9",
        runId: "9",
      })
      .returning({ id: workManifests.id });
    await db.insert(workManifestDirspaces).values({
      workManifestId: run!.id,
      installationId: group.id,
      dir: "vpn",
      workspace: "default",
      state: "success",
      success: true,
      hasChanges: true,
      summary: { add: 0, change: 1, destroy: 0, import: 0 },
      exitCode: 2,
      steps: [
        {
          name: "plan",
          success: true,
          exit_code: 2,
          output:
            '  ~ resource "aws_security_group_rule" "vpn" {\n      ~ from_port = 1194 -> 443\n    }\n\nPlan: 0 to add, 1 to change, 0 to destroy.',
          duration_ms: 2100,
        },
      ],
    });

    const page = await newVisitor();
    await page.goto(bed.url);
    await page.getByRole("link", { name: "Sign in with GitLab" }).click();
    expect(new URL(page.url()).origin).toBe(bed.gitlab.url);
    await page.getByLabel("Username").fill("erin");
    await page.getByRole("button", { name: "Authorize" }).click();
    await page.waitForURL((url) => url.origin === bed.url && !url.search.includes("code="));
    await expect.poll(() => page.locator("h1").textContent()).toBe("Installations");
    expect(await page.locator("header").textContent()).toContain("GitLab · erin");
    expect(await page.locator("main").textContent()).toContain("platform");
    expect(await page.locator("main").textContent()).not.toContain("secret-group");
    expect(await page.locator("main").textContent()).not.toContain("acme");
    await checkPage(page, "gitlab-installations");

    const isMember = async (id: number) =>
      (await page.request.get(`${bed.url}/api/v1/gitlab/groups/${id}/is-member`)).json();
    expect(await isMember(77)).toEqual({ is_member: true });
    expect(await isMember(88)).toEqual({ is_member: false });
    expect((await page.goto(`${bed.url}/i/gitlab/88`))?.status()).toBe(404);
    expect((await page.goto(`${bed.url}${base}`))?.status()).toBe(404);

    await page.goto(bed.url);
    await page.getByRole("link", { name: "platform" }).click();
    await checkPage(page, "gitlab-repositories");
    await page.getByRole("link", { name: "Merge requests" }).click();
    expect(await page.locator("h1").textContent()).toBe("Merge requests");
    await checkPage(page, "gitlab-merge-requests");
    await page.getByRole("link", { name: /!4 Open the VPN port/ }).click();
    expect(await page.locator("main").textContent()).toContain("platform/network");
    await checkPage(page, "gitlab-merge-request");
    await page.getByRole("link", { name: "plan" }).first().click();
    expect(await page.locator("main").textContent()).toContain("!4");
    expect(await page.locator("pre.out span.c").count()).toBeGreaterThanOrEqual(1);
    await checkPage(page, "gitlab-run");

    // Removed from the group: the next refresh (once the access token is gone) asks GitLab again.
    bed.gitlab.state.setMember("group", 77, erin, null);
    await expireAccess(page);
    expect((await page.goto(`${bed.url}/i/gitlab/77`))?.status()).toBe(404);
    await page.goto(bed.url);
    expect(await page.locator("main").textContent()).not.toContain("platform");
    expect(await isMember(77)).toEqual({ is_member: false });
  });
});
