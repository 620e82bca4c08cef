// What one PR event asks of GitHub on a repository of many roots: each thing once, the unchanged files not
// again, and the independent reads at the same time (each call waited for in turn is a round trip more).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RecordedRequest } from "../fakes/github/state.ts";
import { pullRequestEvent } from "./payloads.ts";
import { createTestbed, openPullRequest, seedRepository, type Testbed } from "./testbed.ts";

const roots = 50;
let bed: Testbed;

beforeAll(async () => {
  bed = await createTestbed();
});
afterAll(async () => {
  await bed?.close();
});
beforeEach(async () => {
  await bed.reset();
  const stacks = Object.fromEntries(
    Array.from({ length: roots }, (_, index) => [`stacks/s${index}/main.tf`, `# root ${index}`]),
  );
  seedRepository(bed.github, stacks);
});

/** A call by its kind: method and path with the repository, numbers, shas and file paths left out. */
function kind(request: RecordedRequest): string {
  const path = request.path
    .replace(/^\/repos\/acme\/infra/, "")
    .replace(/\/contents\/.+$/, (file) => (file.endsWith("/.terragate/config.yml") ? "/CONFIG" : "/FILE"))
    .replace(/\/[0-9a-f]{40}$/, "/SHA")
    .replace(/\/\d+(?=\/|$)/g, "/N");
  return `${request.method} ${path}`;
}

/** Opens PR `number` changing root `root`, evaluates it and dispatches; the calls it made, by kind. */
async function openAndDispatch(number: number, root: number): Promise<string[]> {
  const pull = openPullRequest(bed.github, {
    number,
    changed: { [`stacks/s${root}/main.tf`]: `# changed by #${number}` },
  });
  const before = bed.github.state.requests.length;
  expect(await bed.send("pull_request", pullRequestEvent("opened", pull))).toBe(202);
  await bed.work();
  expect(bed.github.state.dispatches).toHaveLength(number);
  return bed.github.state.requests.slice(before).map(kind).sort();
}

async function eventually(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe(`one PR event on a repository of ${roots} roots`, () => {
  it("asks for each thing once and, once the repository was read, reads only the PR's changed file", async () => {
    // The first event reads every .tf content of the head once (nothing is known yet): the roots'
    // and the one the standard repository's four empty files share.
    const first = await openAndDispatch(1, 0);
    expect(first.filter((call) => call === "GET /FILE")).toHaveLength(roots + 1);

    // Another PR on the same root: its new content is the one file unknown so far.
    const second = await openAndDispatch(2, 0);
    expect(second).toEqual(
      [
        // The config on the default branch (security keys) and at the head.
        "GET /CONFIG",
        "GET /CONFIG",
        // The head's tree (paths and blob shas) and the one file whose content is new.
        "GET /git/trees/SHA",
        "GET /FILE",
        // The PR's changed files (its file count and the list), the author's role.
        "GET /pulls/N",
        "GET /pulls/N/files",
        "GET /collaborators/alice/permission",
        // The queued check run and the dispatch.
        "POST /check-runs",
        "POST /actions/workflows/terragate.yml/dispatches",
      ].sort(),
    );
  });

  it("asks for the author's role and the PR's files while the configs are still being read", async () => {
    await openAndDispatch(1, 0);
    const pull = openPullRequest(bed.github, { number: 2, changed: { "stacks/s3/main.tf": "# again" } });
    const release = bed.github.state.hold("GET", /\/contents\/\.terragate\/config\.yml$/);
    const before = bed.github.state.requests.length;
    try {
      expect(await bed.send("pull_request", pullRequestEvent("opened", pull))).toBe(202);
      const working = bed.work();
      working.catch(() => {});
      const asked = () => bed.github.state.requests.slice(before).map(kind);
      // Were they asked for only after the config (as once after issue 14), this would wait forever.
      await eventually(
        () =>
          [
            "GET /collaborators/alice/permission",
            "GET /pulls/N",
            "GET /pulls/N/files",
            "GET /git/trees/SHA",
          ].every((call) => asked().includes(call)),
        "the role, file and tree reads while the config reads are held",
      );
      expect(asked()).not.toContain("GET /CONFIG");
      release();
      await working;
    } finally {
      release();
    }
    expect(bed.github.state.dispatches).toHaveLength(2);
  });
});
