// Who may make Terragate run: safe defaults, forks, autoplan for the author, config_update, default-branch tags, approvals.

import { describe, expect, it } from "vitest";
import { renderRefusal } from "../render/refusal.ts";
import { platforms } from "../vcs/registry.ts";
import { type Decision, decide, type RefusalProblem } from "./decide.ts";
import { input, person, pullRequest } from "./decide-fixture.ts";

const rules = (decision: Decision) =>
  decision.kind === "refuse" ? decision.problems.map((problem) => problem.rule) : [];

function render(decision: Decision, requestedBy = "alice"): string {
  if (decision.kind !== "refuse") throw new Error(`expected a refusal, got ${decision.kind}`);
  return renderRefusal({
    prNumber: 42,
    action: decision.action,
    dirspaces: decision.dirspaces,
    problems: decision.problems,
    pullRequest,
    requestedBy,
    defaultBranch: "main",
    words: platforms.github.words,
  });
}

const fork = {
  ...pullRequest,
  headRepository: { externalId: "9", fullName: "mallory/infra" },
  fromFork: true,
};

describe("safe defaults without access_control", () => {
  it.each([
    ["none", "terragate plan", false],
    ["read", "terragate plan", false],
    ["triage", "terragate apply", false],
    ["write", "terragate plan", true],
    ["write", "terragate apply", true],
    ["write", "terragate apply-force", false],
    ["write", "terragate apply-autoapprove", false],
    ["maintain", "terragate apply-force", true],
    ["admin", "terragate apply-autoapprove", true],
  ] as const)("a %s user commenting `%s` may run: %s", (role, comment, allowed) => {
    const decision = decide(input({ comment, user: person("pat", role) }));
    expect(decision.kind).toBe(allowed ? "run" : "refuse");
    if (!allowed) expect(rules(decision)).toEqual(["access"]);
  });

  it("names the role needed and where the rule comes from", () => {
    const body = render(decide(input({ comment: "terragate plan", user: person("eve", "read") })), "eve");
    expect(body).toContain(
      "- @eve may not plan `infra/a` (default), `infra/b` (default); allowed: `role:write` (Terragate's default, as `.terragate/config.yml` on `main` has no `access_control`)",
    );
  });

  it("lets `*` mean anyone only where a config writes it", () => {
    const config = { access_control: { policies: [{ tag_query: "", plan: ["*"] }] } };
    expect(decide(input({ comment: "terragate plan", user: person("x", "none"), config })).kind).toBe("run");
    // The same written policy grants no apply: an action a matching policy does not list is refused.
    const apply = decide(input({ comment: "terragate apply", user: person("x", "none"), config }));
    expect(rules(apply)).toEqual(["access"]);
  });
});

describe("autoplan acts for the PR's author", () => {
  it("plans nothing for an author without write access, and says so", () => {
    const decision = decide(input({ user: person("mallory", "read") }));
    expect(decision).toMatchObject({ kind: "refuse", action: "autoplan" });
    expect(render(decision, "mallory")).toContain("@mallory may not plan");
  });

  it("autoplans a bot's PR only when a policy names the bot", () => {
    const bot = person("renovate[bot]", "none");
    expect(decide(input({ user: bot })).kind).toBe("refuse");
    const config = {
      access_control: { policies: [{ tag_query: "", plan: ["role:write", "user:renovate[bot]"] }] },
    };
    expect(decide(input({ user: bot, config })).kind).toBe("run");
  });

  it("skips the dirspaces the author may not plan and lists them", () => {
    const config = {
      dirs: { "infra/b": { tags: ["prod"] } },
      access_control: {
        policies: [
          { tag_query: "prod", plan: ["role:maintain"] },
          { tag_query: "", plan: ["role:write"] },
        ],
      },
    };
    const decision = decide(input({ config }));
    if (decision.kind !== "run") throw new Error("expected a run");
    expect(decision.dirspaces.map((dirspace) => dirspace.dir)).toEqual(["infra/a"]);
    expect(decision.skipped).toEqual([
      expect.objectContaining({
        rule: "access",
        who: "alice",
        dirspaces: [{ dir: "infra/b", workspace: "default" }],
        allowed: ["role:maintain"],
        source: { kind: "policy", index: 0, tagQuery: "prod" },
      }),
    ]);
  });
});

describe("forks", () => {
  it("never autoplans a fork, whatever fork_prs says", () => {
    for (const forkPrs of ["refuse", "allow"]) {
      const decision = decide(
        input({ pullRequest: fork, user: person("carol", "admin"), config: { fork_prs: forkPrs } }),
      );
      expect(decision).toMatchObject({ kind: "refuse", action: "autoplan", problems: [{ rule: "fork" }] });
    }
  });

  it("refuses every command on a fork by default, even an admin's, and tells an admin what to set", () => {
    const decision = decide(
      input({ comment: "terragate plan", pullRequest: fork, user: person("carol", "admin") }),
    );
    expect(rules(decision)).toEqual(["fork"]);
    expect(render(decision)).toContain(
      "this PR comes from the fork `mallory/infra`, and Terragate runs nothing for PRs from forks (`fork_prs: refuse`, the default) — an admin can set `fork_prs: allow` in `.terragate/config.yml` on `main`",
    );
  });

  it("with fork_prs: allow, runs a command by someone the policy allows, and refuses the fork's author", () => {
    const config = { fork_prs: "allow" };
    expect(decide(input({ comment: "terragate plan", pullRequest: fork, config })).kind).toBe("run");
    const byAuthor = decide(
      input({ comment: "terragate plan", pullRequest: fork, config, user: person("mallory", "none") }),
    );
    expect(rules(byAuthor)).toEqual(["access"]);
  });
});

describe("access tags come from the default branch", () => {
  it("a PR that re-tags a prod dir is still judged by the prod policy", () => {
    const config = {
      // The PR's own config calls infra/a a sandbox…
      dirs: { "infra/a": { tags: ["sandbox"] } },
      access_control: {
        policies: [
          { tag_query: "prod", plan: ["role:write"], apply: ["role:admin"] },
          { tag_query: "", plan: ["role:write"], apply: ["role:write"] },
        ],
      },
    };
    // …but on the default branch it is prod.
    const accessTagsOf = (dirspace: { dir: string; workspace: string }) =>
      dirspace.dir === "infra/a"
        ? ["prod", "dir:infra/a", "workspace:default"]
        : [`dir:${dirspace.dir}`, "workspace:default"];
    const decision = decide(input({ comment: "terragate apply sandbox", config, accessTagsOf }));
    expect(decision).toMatchObject({
      kind: "refuse",
      problems: [{ rule: "access", allowed: ["role:admin"], dirspaces: [{ dir: "infra/a" }] }],
    });
  });
});

describe("config_update", () => {
  const configChanges = [".terragate/config.yml"];

  it("lets people who can push run a PR that changes the config, by default", () => {
    expect(decide(input({ comment: "terragate plan", configChanges })).kind).toBe("run");
    expect(decide(input({ configChanges })).kind).toBe("run");
  });

  it("runs nothing for an author or commenter the policy's config_update refuses, naming the file", () => {
    const config = {
      access_control: { policies: [{ tag_query: "", plan: ["role:write"], config_update: ["role:admin"] }] },
    };
    const autoplan = decide(input({ config, configChanges }));
    expect(autoplan).toMatchObject({ kind: "refuse", action: "autoplan" });
    expect(rules(autoplan)).toEqual(["config_update"]);
    const command = decide(input({ comment: "terragate plan", config, configChanges }));
    expect(render(command)).toContain(
      "this PR changes `.terragate/config.yml`, so running `infra/a` (default), `infra/b` (default) needs `config_update`, which @alice lacks; allowed: `role:admin`",
    );
    expect(
      decide(input({ comment: "terragate plan", config, configChanges, user: person("ada", "admin") })).kind,
    ).toBe("run");
  });
});

describe("approvals", () => {
  const config = { apply_requirements: { approved: { enabled: true } } };
  const head = pullRequest.headSha;
  const earlier = "1234567".padEnd(40, "0");

  it("counts only approvals of the current head commit", () => {
    const stale = decide(
      input({
        comment: "terragate apply",
        config,
        reviews: [{ person: person("bob", "write"), state: "approved", commitSha: earlier }],
      }),
    );
    expect(stale).toMatchObject({
      kind: "refuse",
      problems: [{ rule: "approval", have: 0, stale: [{ login: "bob" }] }],
    });
    expect(render(stale)).toContain("@bob approved `1234567`, before the last push");
    const current = decide(
      input({
        comment: "terragate apply",
        config,
        reviews: [{ person: person("bob", "write"), state: "approved", commitSha: head }],
      }),
    );
    expect(current.kind).toBe("run");
  });

  it("counts older approvals when the default branch sets dismiss_stale: false", () => {
    const decision = decide(
      input({
        comment: "terragate apply",
        config: { apply_requirements: { approved: { enabled: true, dismiss_stale: false } } },
        reviews: [{ person: person("bob", "write"), state: "approved", commitSha: earlier }],
      }),
    );
    expect(decision.kind).toBe("run");
  });

  it("does not count an approval from someone without write access when any_of is empty", () => {
    const decision = decide(
      input({
        comment: "terragate apply",
        config,
        reviews: [{ person: person("drive-by", "none"), state: "approved", commitSha: head }],
      }),
    );
    expect(rules(decision)).toEqual(["approval"]);
  });

  it("blocks on changes requested by an any_of or all_of principal, not by others", () => {
    const strict = {
      apply_requirements: { approved: { enabled: true, any_of: ["team:sre"], all_of: ["user:sam"] } },
    };
    const sre = { login: "sue", role: "write" as const, teams: new Set(["sre"]) };
    const reviews = [
      { person: sre, state: "approved" as const, commitSha: head },
      { person: person("sam", "write"), state: "changes_requested" as const, commitSha: earlier },
      { person: person("bystander", "write"), state: "changes_requested" as const, commitSha: head },
    ];
    const decision = decide(input({ comment: "terragate apply", config: strict, reviews }));
    const problems = decision.kind === "refuse" ? decision.problems : [];
    expect(problems).toContainEqual({
      rule: "changes_requested",
      reviewers: ["sam"],
    } satisfies RefusalProblem);
    expect(render(decision)).toContain(
      "@sam requested changes — get their approval or have the review dismissed",
    );
  });
});

describe("plan choice", () => {
  it("records the plan each dirspace applies", () => {
    const decision = decide(input({ comment: "terragate apply" }));
    expect(decision).toMatchObject({
      kind: "run",
      plans: [
        { dir: "infra/a", workspace: "default", planId: 1 },
        { dir: "infra/b", workspace: "default", planId: 2 },
      ],
    });
  });
});
