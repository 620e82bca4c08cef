// Monorepos larger than one GitHub listing: truncated trees are walked by subtree, PRs past 3,000 files are diffed by tree.
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createGithubClients } from "../../src/vcs/github/clients.ts";
import { VcsError, type VcsProvider } from "../../src/vcs/types.ts";
import { testAppPrivateKey } from "../fakes/github/app-key.ts";
import { githubListingLimits } from "../fakes/github/git-objects.ts";
import { type FakeGithub, startFakeGithub } from "../fakes/github/server.ts";

let github: FakeGithub;
let provider: VcsProvider;
let repoCounter = 0;
let repoName = "";

function newProvider(name: string): VcsProvider {
  const clients = createGithubClients({
    credentials: {
      appId: "1",
      privateKey: testAppPrivateKey(),
      webhookSecret: "s",
      slug: null,
      source: "env",
    },
    apiUrl: github.url,
    logger: pino({ level: "silent" }),
    // Retries as in production, only without its 1, 4 and 9 s waits (request-pacing.test.ts has those).
    retryBaseMs: 10,
  });
  return clients.providerFor("9", "acme", name);
}

/** A repository of `teams` × `services` roots with three files each, plus vendored and unchanging trees. */
function monorepoFiles(teams: number, services: number): Record<string, string> {
  const files: Record<string, string> = { "README.md": "# infra" };
  for (let team = 0; team < teams; team++) {
    for (let service = 0; service < services; service++) {
      const dir = `teams/t${team}/s${service}`;
      files[`${dir}/main.tf`] = `# ${dir}`;
      files[`${dir}/variables.tf`] = "";
      files[`${dir}/.terraform.lock.hcl`] = "# lock v1";
    }
  }
  for (let page = 0; page < 30; page++) files[`docs/static/page-${page}.html`] = `<p>${page}</p>`;
  files["tools/node_modules/pkg/main.tf"] = "# vendored";
  return files;
}

function setUpRepo(files: Record<string, string>): { name: string; sha: string } {
  const name = `infra${++repoCounter}`;
  github.state.addRepo({ owner: "acme", name, installationId: 9 });
  const sha = github.state.commit(`acme/${name}`, "main", files);
  provider = newProvider(name);
  return { name, sha };
}

const treeRequests = () => github.state.requests.filter((request) => request.path.includes("/git/trees/"));

beforeAll(async () => {
  github = await startFakeGithub();
});

beforeEach(() => {
  github.state.limits = { ...githubListingLimits };
  github.state.failures.length = 0;
});

afterAll(async () => {
  await github.close();
});

describe("trees larger than one listing", () => {
  it("lists every file of a tree GitHub truncates, subtree by subtree, without vendored dirs", async () => {
    const files = monorepoFiles(6, 10);
    const { sha } = setUpRepo(files);
    github.state.limits.treeEntries = 60; // the root (~300 entries) and each team (~40 files + dirs)… mostly cut
    const expected = Object.keys(files)
      .filter((path) => !path.includes("node_modules/"))
      .sort();
    expect((await provider.listTree(sha)).sort()).toEqual(expected);
    expect(treeRequests().length).toBeGreaterThan(6);
  });

  it("also walks when the 7 MB size limit cuts the listing, and reads a known commit from the cache", async () => {
    const files = monorepoFiles(3, 5);
    const { sha } = setUpRepo(files);
    github.state.limits.treeBytes = 4_000;
    const listed = (await provider.listTree(sha)).sort();
    expect(listed).toHaveLength(Object.keys(files).length - 1);
    const before = treeRequests().length;
    expect((await provider.listTree(sha)).sort()).toEqual(listed);
    expect(treeRequests().length).toBe(before);
  });

  it("fails as a retryable server error, with nothing partial, when GitHub keeps failing mid-walk", async () => {
    const { sha } = setUpRepo(monorepoFiles(4, 4));
    github.state.limits.treeEntries = 20;
    // The first listing fails on every attempt octokit makes (one try and three retries).
    github.state.fail({ method: "GET", pathPattern: /\/git\/trees\/[0-9a-f]{40}$/, status: 502, times: 4 });
    const failure = await provider.listTree(sha).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(VcsError);
    expect((failure as VcsError).kind).toBe("server");
  });
});

describe("pull requests larger than one file listing", () => {
  function openBigPr(changeCount: number) {
    const base = monorepoFiles(5, 8);
    const { name } = setUpRepo(base);
    const fullName = `acme/${name}`;
    const head = { ...base };
    const changed: string[] = [];
    const roots = Object.keys(base).filter((path) => path.endsWith(".terraform.lock.hcl"));
    for (const path of roots.slice(0, changeCount)) {
      head[path] = "# lock v2";
      changed.push(path);
    }
    delete head["teams/t4/s7/variables.tf"];
    head["teams/t4/s7/inputs.tf"] = "";
    changed.push("teams/t4/s7/variables.tf", "teams/t4/s7/inputs.tf");
    github.state.commit(fullName, "bump", head);
    // The base branch moves on after the PR branched: its change is not the PR's.
    github.state.commit(fullName, "main", { ...base, "teams/t0/s0/main.tf": "# changed on main" });
    github.state.openPullRequest(fullName, {
      number: 1,
      author: "alice",
      base: "main",
      head: "bump",
      files: changed,
    });
    repoName = fullName;
    return { changed };
  }

  it("computes the change set by comparing trees when the PR changes more files than GitHub lists", async () => {
    github.state.limits.pullFiles = 10;
    const { changed } = openBigPr(25);
    expect((await provider.listChangedFiles(1)).sort()).toEqual([...changed].sort());
  });

  it("goes down only into subtrees whose shas differ when the listings are cut", async () => {
    github.state.limits.pullFiles = 10;
    github.state.limits.treeEntries = 30;
    const { changed } = openBigPr(12);
    const before = github.state.requests.length;
    expect((await provider.listChangedFiles(1)).sort()).toEqual([...changed].sort());
    const paths = github.state.requests.slice(before).map((request) => request.path);
    // docs/ is the same tree on both sides: its sha is never listed.
    const repo = github.state.repo(repoName);
    const headCommit = repo.branches.get("bump")!;
    const root = github.state.git.rootTree(headCommit, github.state.commits.get(headCommit)!);
    const docs = github.state.git.list(root, false, "", "").find((item) => item.path === "docs")!;
    expect(paths.some((path) => path.endsWith(`/git/trees/${docs.sha}`))).toBe(false);
    expect(paths.some((path) => path.includes("/compare/"))).toBe(true);
  });

  it("uses GitHub's file list when it is complete", async () => {
    const { changed } = openBigPr(6);
    const before = treeRequests().length;
    expect((await provider.listChangedFiles(1)).sort()).toEqual([...changed].sort());
    expect(treeRequests().length).toBe(before);
  });
});
