// The PR's state and base branch: pr_not_open, apply_after_merge (apply only once merged), destination_branches.

import { describe, expect, it } from "vitest";
import { renderRefusal } from "../render/refusal.ts";
import { platforms } from "../vcs/registry.ts";
import { decide } from "./decide.ts";
import { alice, input, pullRequest } from "./decide-fixture.ts";

const afterMerge = { apply_requirements: { apply_after_merge: true } };

function rules(decision: ReturnType<typeof decide>): string[] {
  return decision.kind === "refuse" ? decision.problems.map((problem) => problem.rule) : [];
}

describe("pr_not_open", () => {
  it.each(["plan", "apply", "apply-force", "apply-autoapprove"])(
    "refuses %s on a closed PR and says to reopen it",
    (action) => {
      const closed = { ...pullRequest, state: "closed" as const };
      const decision = decide(input({ comment: `terragate ${action}`, pullRequest: closed }));
      expect(decision.kind).toBe("refuse");
      expect(decision.kind === "refuse" && decision.problems).toContainEqual({
        rule: "pr_not_open",
        state: "closed",
      });
      if (decision.kind !== "refuse") return;
      const body = renderRefusal({
        prNumber: 42,
        action: decision.action,
        dirspaces: decision.dirspaces,
        problems: decision.problems,
        pullRequest: closed,
        requestedBy: "alice",
        defaultBranch: "main",
        words: platforms.github.words,
      });
      expect(body).toContain("the PR is closed — reopen it to run commands");
    },
  );

  it("refuses apply on a merged PR unless the repository applies after merge", () => {
    const merged = { ...pullRequest, state: "merged" as const };
    expect(rules(decide(input({ comment: "terragate apply", pullRequest: merged })))).toEqual([
      "pr_not_open",
    ]);
    expect(
      decide(input({ comment: "terragate apply", pullRequest: merged, config: afterMerge })),
    ).toMatchObject({
      kind: "run",
      manifestKind: "apply",
      dirspaces: [{ dir: "infra/a" }, { dir: "infra/b" }],
    });
  });

  it("never plans a merged PR, even when applies wait for the merge", () => {
    const merged = { ...pullRequest, state: "merged" as const };
    expect(
      rules(decide(input({ comment: "terragate plan", pullRequest: merged, config: afterMerge }))),
    ).toEqual(["pr_not_open"]);
  });
});

describe("the next stack layer of a merged PR", () => {
  const merged = { ...pullRequest, state: "merged" as const };
  const nextLayer = { kind: "autoplan" as const, author: alice, trigger: "next_layer" as const };

  it("is planned when the repository applies after merge, since its layers are applied there", () => {
    expect(decide(input({ pullRequest: merged, config: afterMerge, request: nextLayer }))).toMatchObject({
      kind: "run",
      manifestKind: "plan",
      dirspaces: [{ dir: "infra/a" }, { dir: "infra/b" }],
    });
  });

  it("is not planned otherwise, nor is a merged PR autoplanned on a push, nor a closed one", () => {
    const ignored = { kind: "ignore", reason: "the pull request is not open" };
    expect(decide(input({ pullRequest: merged, request: nextLayer }))).toEqual(ignored);
    expect(
      decide(
        input({ pullRequest: merged, config: afterMerge, request: { kind: "autoplan", author: alice } }),
      ),
    ).toEqual(ignored);
    const closed = { ...pullRequest, state: "closed" as const };
    expect(decide(input({ pullRequest: closed, config: afterMerge, request: nextLayer }))).toEqual(ignored);
  });
});

describe("apply_after_merge", () => {
  it("refuses apply on an open PR and says to merge first", () => {
    const decision = decide(input({ comment: "terragate apply", config: afterMerge }));
    expect(rules(decision)).toEqual(["apply_after_merge"]);
    if (decision.kind !== "refuse") return;
    const body = renderRefusal({
      prNumber: 42,
      action: decision.action,
      dirspaces: decision.dirspaces,
      problems: decision.problems,
      pullRequest,
      requestedBy: "alice",
      defaultBranch: "main",
      words: platforms.github.words,
    });
    expect(body).toContain(
      "this repository applies after merge — merge the PR, then comment `terragate apply`",
    );
  });

  it("still lets an open PR plan", () => {
    expect(decide(input({ comment: "terragate plan", config: afterMerge }))).toMatchObject({
      kind: "run",
      manifestKind: "plan",
    });
  });

  it("is an apply requirement that apply-force skips", () => {
    expect(
      decide(
        input({
          comment: "terragate apply-force",
          config: afterMerge,
          user: { login: "mia", role: "maintain", teams: new Set() },
        }),
      ),
    ).toMatchObject({ kind: "run", manifestKind: "apply" });
  });
});

describe("destination_branches", () => {
  it.each([
    ["release/1.0", ["release/*"], "run"],
    ["release/1.0/hotfix", ["release/*"], "ignore"],
    ["release/1.0/hotfix", ["release/**"], "run"],
    ["feature/x", ["*"], "ignore"],
    ["develop", ["{main,develop}"], "run"],
    ["main", ["release/*"], "ignore"],
  ])("a PR into %s with %j: %s", (baseRef, branches, kind) => {
    const decision = decide(
      input({ pullRequest: { ...pullRequest, baseRef }, config: { destination_branches: branches } }),
    );
    expect(decision.kind).toBe(kind);
  });
});
