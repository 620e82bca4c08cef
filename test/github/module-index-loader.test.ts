// The module index store through the GitHub provider: a new head re-reads only files whose content is new.
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ModuleIndexStore, readModuleIndex } from "../../src/evaluator/module-index-loader.ts";
import { createGithubClients } from "../../src/vcs/github/clients.ts";
import type { VcsProvider } from "../../src/vcs/types.ts";
import { testAppPrivateKey } from "../fakes/github/app-key.ts";
import { type FakeGithub, startFakeGithub } from "../fakes/github/server.ts";
import { monorepo } from "../fixtures/module-monorepo.ts";

const fullName = "acme/infra";
let github: FakeGithub;
let provider: VcsProvider;

beforeEach(async () => {
  github = await startFakeGithub();
  github.state.addRepo({ owner: "acme", name: "infra", installationId: 7 });
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
  });
  provider = clients.providerFor("7", "acme", "infra");
});

afterEach(async () => {
  await github.close();
});

const fileReads = () =>
  github.state.countRequests((request) => request.method === "GET" && request.path.includes("/contents/"));

async function load(store: ModuleIndexStore, sha: string) {
  return store.load(provider, sha, await provider.listTreeBlobs(sha));
}

async function fullRead(sha: string) {
  return readModuleIndex(provider, sha, await provider.listTree(sha));
}

describe("ModuleIndexStore", () => {
  it("builds a PR head's index from earlier commits' summaries, identical to a full read", async () => {
    const base = github.state.commit(fullName, "main", monorepo);
    const { "modules/unused/main.tf": _deleted, ...kept } = monorepo;
    const head = github.state.commit(fullName, "feature", {
      ...kept,
      // A changed file, a new module user, and a file with a syntax error.
      "infra/web/main.tf": 'module "app" {\n  source = "../../modules/network"\n}\n',
      "infra/new/main.tf": 'module "cidr" {\n  source = "../../modules/cidr"\n}\n',
      "live/prod/broken/terragrunt.hcl": "include {",
    });
    // The default branch moves on after the PR branched: a file the PR did not touch differs from main's.
    const movedMain = github.state.commit(fullName, "main", {
      ...monorepo,
      "infra/vpc/main.tf": 'module "app" {\n  source = "../../modules/app"\n}\n',
    });
    const store = new ModuleIndexStore();
    expect(await load(store, base)).toEqual(await fullRead(base));
    expect(await load(store, movedMain)).toEqual(await fullRead(movedMain));
    const incremental = await load(store, head);
    const full = await fullRead(head);
    expect(incremental).toEqual(full);
    expect(incremental.modules.size).toBeGreaterThan(0);
    expect(incremental.problems.some((problem) => problem.file === "live/prod/broken/terragrunt.hcl")).toBe(
      true,
    );
  });

  it("reads only the changed file of a PR once the base is known", async () => {
    const files: Record<string, string> = { "README.md": "docs" };
    for (let index = 0; index < 60; index++) {
      files[`stacks/s${index}/main.tf`] =
        `# root ${index}\nmodule "m" {\n  source = "../../modules/m${index % 3}"\n}\n`;
    }
    const base = github.state.commit(fullName, "main", files);
    const store = new ModuleIndexStore();
    await load(store, base);
    expect(fileReads()).toBe(60);

    const head = github.state.commit(fullName, "pr-1", { ...files, "stacks/s7/main.tf": "# edited\n" });
    const before = fileReads();
    await load(store, head);
    expect(fileReads() - before).toBe(1);
    // The same head again (a re-evaluation): nothing is read.
    await load(store, head);
    expect(fileReads() - before).toBe(1);
  });

  it("keeps indexes within its bound of dirs, least recently used out first, rebuilding one dropped unread", async () => {
    const first = github.state.commit(fullName, "main", monorepo);
    const second = github.state.commit(fullName, "main", { ...monorepo, "live/extra/main.tf": "" });
    const dirsPerIndex = (await fullRead(first)).dirs.size;
    const roomy = new ModuleIndexStore();
    const kept = await load(roomy, first);
    await load(roomy, second);
    expect(await load(roomy, first)).toBe(kept);

    const tight = new ModuleIndexStore({ dirs: dirsPerIndex * 2 - 1 });
    const dropped = await load(tight, first);
    const newest = await load(tight, second);
    const reads = fileReads();
    const rebuilt = await load(tight, first);
    expect(rebuilt).not.toBe(dropped);
    expect(rebuilt).toEqual(dropped);
    // Rebuilt from the summaries it still holds: no file read again.
    expect(fileReads()).toBe(reads);
    // And now `second` is the one that made room.
    expect(await load(tight, second)).not.toBe(newest);
  });

  it("forgets a failed read, so the next load reads the file again and succeeds", async () => {
    const base = github.state.commit(fullName, "main", monorepo);
    github.state.fail({
      method: "GET",
      pathPattern: /\/contents\/modules\/app\/main\.tf/,
      status: 422,
      times: 1,
    });
    const store = new ModuleIndexStore();
    await expect(load(store, base)).rejects.toThrow();
    github.state.failures.length = 0;
    expect(await load(store, base)).toEqual(await fullRead(base));
  });
});
