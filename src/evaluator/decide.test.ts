// The pure decision: autoplan, access control, apply requirements, plan validity and locks, without I/O.

import { describe, expect, it } from "vitest";
import { renderRefusal } from "../render/refusal.ts";
import { platforms } from "../vcs/registry.ts";
import { decide, decideLockRace } from "./decide.ts";
import { input, person, pullRequest } from "./decide-fixture.ts";

describe("decide", () => {
  it("autoplans the changed dirspaces only", () => {
    const decision = decide(input());
    expect(decision.kind === "run" && decision.dirspaces.map((d) => d.dir)).toEqual(["infra/a", "infra/b"]);
  });

  it("applies valid plans and locks what it applies under lock_policy apply, everything changed under strict", () => {
    const apply = decide(input({ comment: "terragate apply dir:infra/a" }));
    expect(apply).toMatchObject({ kind: "run", manifestKind: "apply", lockDirspaces: [{ dir: "infra/a" }] });
    const strict = decide(
      input({ comment: "terragate apply dir:infra/a", config: { lock_policy: "strict" } }),
    );
    expect(strict.kind === "run" && strict.lockDirspaces.map((d) => d.dir)).toEqual(["infra/a", "infra/b"]);
  });

  it("collects every problem of an apply in one refusal", () => {
    const decision = decide(
      input({
        comment: "terragate apply",
        config: { apply_requirements: { approved: { enabled: true } } },
        pullRequest: { ...pullRequest, draft: true, mergeable: false },
        statusChecks: [
          { name: "ci/test", conclusion: "failure", source: "status", ownCheck: false },
          {
            name: "terragate plan: infra/a (default)",
            conclusion: "failure",
            source: "check_run",
            ownCheck: true,
          },
        ],
        latestPlans: [],
        locksHeldByOthers: [
          { dir: "infra/a", workspace: "default", pullRequestNumber: 17, acquiredAt: new Date(0) },
        ],
      }),
    );
    expect(decision.kind).toBe("refuse");
    const rules = decision.kind === "refuse" ? decision.problems.map((problem) => problem.rule) : [];
    expect(rules.sort()).toEqual([
      "approval",
      "draft",
      "locked",
      "merge_conflicts",
      "no_plan",
      "status_checks",
    ]);
  });

  it("apply-force skips apply requirements but still needs plans and free locks", () => {
    const decision = decide(
      input({
        comment: "terragate apply-force",
        user: person("mia", "maintain"),
        config: { apply_requirements: { approved: { enabled: true } } },
        pullRequest: { ...pullRequest, draft: true },
      }),
    );
    expect(decision).toMatchObject({
      kind: "run",
      manifestKind: "apply",
      dirspaces: [{ dir: "infra/a" }, { dir: "infra/b" }],
      lockDirspaces: [{ dir: "infra/a" }, { dir: "infra/b" }],
      plans: [
        { dir: "infra/a", planId: 1 },
        { dir: "infra/b", planId: 2 },
      ],
    });
    // The same apply without force is refused by exactly the requirements force skipped.
    const plain = decide(
      input({
        comment: "terragate apply",
        user: person("mia", "maintain"),
        config: { apply_requirements: { approved: { enabled: true } } },
        pullRequest: { ...pullRequest, draft: true },
      }),
    );
    expect(plain.kind === "refuse" && plain.problems.map((problem) => problem.rule).sort()).toEqual([
      "approval",
      "draft",
    ]);
    const withoutPlans = decide(
      input({
        comment: "terragate apply-force",
        user: person("mia", "maintain"),
        pullRequest: { ...pullRequest, draft: true },
        latestPlans: [],
        locksHeldByOthers: [
          { dir: "infra/b", workspace: "default", pullRequestNumber: 17, acquiredAt: new Date(0) },
        ],
      }),
    );
    expect(withoutPlans.kind === "refuse" && withoutPlans.problems.map((problem) => problem.rule)).toEqual([
      "no_plan",
      "locked",
    ]);
  });

  it("ignores status checks matching ignore_matching and this app's own, but not others named like ours", () => {
    const checks = [
      { name: "optional/lint", conclusion: "failure", source: "check_run", ownCheck: false },
      {
        name: "terragate apply: infra/a (default)",
        conclusion: "pending",
        source: "check_run",
        ownCheck: true,
      },
    ] as const;
    const config = { apply_requirements: { status_checks: { ignore_matching: ["^optional/"] } } };
    expect(decide(input({ comment: "terragate apply", config, statusChecks: [...checks] })).kind).toBe("run");
    const impostor = decide(
      input({
        comment: "terragate apply",
        config,
        statusChecks: [
          ...checks,
          {
            name: "terragate plan: security-scan",
            conclusion: "failure",
            source: "check_run",
            ownCheck: false,
          },
        ],
      }),
    );
    expect(impostor).toMatchObject({
      kind: "refuse",
      problems: [{ rule: "status_checks", failing: ["terragate plan: security-scan (failure)"] }],
    });
  });

  it("does not count the author's own approval", () => {
    const decision = decide(
      input({
        comment: "terragate apply",
        config: { apply_requirements: { approved: { enabled: true } } },
        reviews: [{ person: person("alice", "admin"), state: "approved", commitSha: pullRequest.headSha }],
      }),
    );
    expect(decision.kind).toBe("refuse");
  });

  it("renders a refusal like the design's example", () => {
    const decision = decide(
      input({
        comment: "terragate apply dir:infra/a",
        latestPlans: [
          {
            planId: 7,
            dir: "infra/a",
            workspace: "default",
            baseSha: pullRequest.baseSha,
            headSha: "a1b2c3d".padEnd(40, "0"),
            createdAt: new Date(0),
          },
        ],
        locksHeldByOthers: [
          {
            dir: "infra/a",
            workspace: "default",
            pullRequestNumber: 17,
            acquiredAt: new Date(Date.UTC(2026, 0, 1, 10)),
          },
        ],
      }),
    );
    if (decision.kind !== "refuse") throw new Error("expected a refusal");
    const body = renderRefusal({
      prNumber: 42,
      action: "apply",
      dirspaces: decision.dirspaces,
      problems: decision.problems,
      pullRequest,
      requestedBy: "alice",
      defaultBranch: "main",
      words: platforms.github.words,
      now: new Date(Date.UTC(2026, 0, 1, 12)),
    });
    expect(body).toBe(
      [
        "<!-- terragate:refusal:pr-42 -->",
        ":no_entry: **Cannot apply** `infra/a` (default)",
        "- the plan for `infra/a` (default) is from `a1b2c3d` but the PR is at `e4f5a6b` — comment `terragate plan`",
        "- `infra/a` (default) locked by #17 (applied 2 hours ago) — merge or close #17, or comment `terragate unlock 17`",
        "",
        "Requested by @alice · `e4f5a6b`",
      ].join("\n"),
    );
  });

  it("refuses a run that lost a lock race with one locked problem per holding PR, as decide would", () => {
    const run = decide(input({ comment: "terragate apply" }));
    if (run.kind !== "run") throw new Error(`expected a run, got ${run.kind}`);
    const at = new Date("2026-01-01T00:00:00Z");
    const refusal = decideLockRace("apply", run, [
      { dir: "infra/a", workspace: "default", pullRequestNumber: 17, acquiredAt: at },
      { dir: "infra/b", workspace: "default", pullRequestNumber: 17, acquiredAt: at },
      { dir: "infra/b", workspace: "default", pullRequestNumber: 17, acquiredAt: at },
      { dir: "infra/b", workspace: "default", pullRequestNumber: 23, acquiredAt: at },
    ]);
    expect(refusal).toEqual({
      kind: "refuse",
      action: "apply",
      dirspaces: run.dirspaces.map(({ dir, workspace }) => ({ dir, workspace })),
      problems: [
        {
          rule: "locked",
          pullRequestNumber: 17,
          acquiredAt: at,
          dirspaces: [
            { dir: "infra/a", workspace: "default" },
            { dir: "infra/b", workspace: "default" },
          ],
        },
        {
          rule: "locked",
          pullRequestNumber: 23,
          acquiredAt: at,
          dirspaces: [{ dir: "infra/b", workspace: "default" }],
        },
      ],
    });
  });
});
