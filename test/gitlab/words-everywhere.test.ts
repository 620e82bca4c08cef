// Every text Terragate writes for a GitLab user, rendered with GitLab's platform: notes of every kind (refusals with
// every rule, replies, results, dispatch failures), commit status texts, the drift issue and the reasons a run ended.
import { describe, expect, it } from "vitest";
import { parseCommand } from "../../src/domain/command.ts";
import { driftIssueTitle } from "../../src/domain/drift.ts";
import { defaultRepoConfig } from "../../src/domain/repo-config.ts";
import type { RefusalProblem } from "../../src/evaluator/decide.ts";
import { configProblemsSummary } from "../../src/evaluator/refresh-repository.ts";
import { staleRunReason } from "../../src/jobs/sweep-runs.ts";
import { renderCheckRun } from "../../src/render/check-run-output.ts";
import { renderDriftIssue, renderDriftResolved } from "../../src/render/drift-issue.ts";
import { renderRefusal } from "../../src/render/refusal.ts";
import {
  renderConfigError,
  renderDispatchFailed,
  renderHelp,
  renderMissingWorkflow,
  renderNothingMatched,
  renderRepoConfig,
  renderUnlocked,
} from "../../src/render/replies.ts";
import { renderResultComments } from "../../src/render/result-comment.ts";
import { automergeFailedNote, closedReason, movedReason } from "../../src/render/run-reasons.ts";
import type { DirspaceReport, RunReport } from "../../src/render/run-report.ts";
import { platformFor } from "../../src/vcs/registry.ts";
import { githubWordsIn } from "./gitlab-words.ts";

const gitlab = platformFor("gitlab");
const words = gitlab.words;
const sha = "a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0";
const dirspace = { dir: "infra/a", workspace: "default" };
const policy = { kind: "policy" as const, index: 0, tagQuery: "prod" };

/** One problem of every rule: a rule added to RefusalProblem fails to compile here until it has one. */
const problems: { [Rule in RefusalProblem["rule"]]: Extract<RefusalProblem, { rule: Rule }> } = {
  access: {
    rule: "access",
    action: "apply",
    who: "rita",
    dirspaces: [dirspace],
    allowed: ["role:write"],
    source: policy,
  },
  config_update: {
    rule: "config_update",
    who: "rita",
    files: [".terragate/config.yml", ".gitlab-ci.yml"],
    dirspaces: [dirspace],
    allowed: ["role:maintain"],
    source: { kind: "default" },
  },
  fork: { rule: "fork", headRepository: "mallory/infra", forkPrs: "refuse" },
  no_plan: { rule: "no_plan", dirspaces: [dirspace] },
  stale_plan: { rule: "stale_plan", dirspace, planHeadSha: "b".repeat(40), planBaseSha: "c".repeat(40) },
  superseded: { rule: "superseded", dirspace, pullRequestNumber: 12, kind: "applied" },
  locked: {
    rule: "locked",
    dirspaces: [dirspace],
    pullRequestNumber: 12,
    acquiredAt: new Date(Date.now() - 3_600_000),
  },
  layer_order: {
    rule: "layer_order",
    dirspaces: [dirspace],
    applyFirst: [{ dir: "infra/base", workspace: "default" }],
  },
  planned_before_dependency: {
    rule: "planned_before_dependency",
    dirspace,
    dependency: { dir: "infra/base", workspace: "default" },
  },
  approval: {
    rule: "approval",
    have: 0,
    need: 2,
    anyOf: ["team:platform"],
    missingAllOf: ["user:lead"],
    stale: [{ login: "bob", commitSha: "d".repeat(40) }],
  },
  changes_requested: { rule: "changes_requested", reviewers: ["bob"] },
  merge_conflicts: { rule: "merge_conflicts" },
  status_checks: { rule: "status_checks", failing: ["lint"] },
  draft: { rule: "draft" },
  apply_after_merge: { rule: "apply_after_merge" },
  pr_not_open: { rule: "pr_not_open", state: "closed" },
};

function expectGitlabWords(where: string, text: string): void {
  expect(githubWordsIn(text), `${where}:\n${text}`).toEqual([]);
}

function report(
  kind: RunReport["kind"],
  failureReason: string | null,
  dirspaces: DirspaceReport[],
): RunReport {
  return {
    kind,
    prNumber: 7,
    headSha: sha,
    runUrl: "https://gitlab.example.com/acme/infra/-/pipelines/31",
    requestedBy: "alice",
    manifestState: failureReason ? "failed" : "completed",
    failureReason,
    outputsUrl: "https://terragate.example.com/api/v1/gitlab/installations/4/work-manifests/x/outputs",
    dirspaces,
  };
}

const planned: DirspaceReport = {
  ...dirspace,
  state: "success",
  hasChanges: true,
  summary: { add: 1, change: 0, destroy: 0, import: 0 },
  steps: [
    { name: "plan", success: true, exit_code: 2, output: "Plan: 1 to add, 0 to change, 0 to destroy." },
  ],
};
const failed: DirspaceReport = {
  ...dirspace,
  state: "failure",
  hasChanges: null,
  summary: null,
  steps: [
    {
      name: "init",
      success: false,
      exit_code: 1,
      output: "Error: Failed to query available provider packages",
    },
  ],
};
const neverReported: DirspaceReport = {
  ...dirspace,
  state: "running",
  hasChanges: null,
  summary: null,
  steps: [],
};

/** Every reason a GitLab run can end with, as the note and statuses show it. */
const reasons = [
  staleRunReason(
    { state: "running", minutes: 61 },
    { dispatchTimeoutMinutes: 30, runTimeoutMinutes: 60 },
    gitlab,
  ),
  staleRunReason(
    { state: "dispatched", minutes: 31 },
    { dispatchTimeoutMinutes: 30, runTimeoutMinutes: 60 },
    gitlab,
  ),
  staleRunReason(
    { state: "queued", minutes: 61 },
    { dispatchTimeoutMinutes: 30, runTimeoutMinutes: 60 },
    gitlab,
  ),
  movedReason(words, sha, "e".repeat(40)),
  closedReason(words, 7),
];

describe("GitLab's words everywhere a GitLab user reads", () => {
  it("refusal notes, for every rule", () => {
    for (const problem of Object.values(problems)) {
      const note = renderRefusal({
        prNumber: 7,
        action: "apply",
        dirspaces: [dirspace],
        problems: [problem],
        pullRequest: { headSha: sha, baseSha: "f".repeat(40) },
        requestedBy: "alice",
        defaultBranch: "main",
        words,
      });
      expectGitlabWords(`refusal ${problem.rule}`, note);
    }
    const locked = renderRefusal({
      prNumber: 7,
      action: "apply",
      dirspaces: [dirspace],
      problems: [problems.locked],
      pullRequest: { headSha: sha, baseSha: sha },
      requestedBy: "alice",
      defaultBranch: "main",
      words,
    });
    expect(locked).toContain("locked by !12");
  });

  it("replies: help, repo-config, nothing matched, unlock, config errors, a missing .gitlab-ci.yml, a failed dispatch", () => {
    const cr = words.changeRequestShort;
    const replies = {
      help: renderHelp(7, undefined, cr),
      repoConfig: renderRepoConfig(7, defaultRepoConfig(), sha, gitlab.limits.comment, cr),
      nothingChanged: renderNothingMatched(7, "plan", "", 0, cr),
      nothingMatched: renderNothingMatched(7, "apply", "prod", 3, cr),
      unlocked: renderUnlocked(7, [{ ...dirspace, pullRequestNumber: 8 }], [8], words.reference),
      unlockedNothing: renderUnlocked(7, [], [9], words.reference),
      configError: renderConfigError(
        7,
        sha,
        [".terragate/config.yml:3:5: unknown key"],
        gitlab.limits.comment,
      ),
      missingCiFile: renderMissingWorkflow(
        7,
        gitlab.dispatch.workflowPath,
        "main",
        gitlab.dispatch.snippet("https://terragate.example.com"),
        words.changeRequest,
      ),
      dispatchFailed: renderDispatchFailed(7, "wm-1", "GitLab answered 500"),
      automerge: automergeFailedNote(words, "the merge request cannot be merged"),
    };
    for (const [name, text] of Object.entries(replies)) expectGitlabWords(name, text);
    expect(replies.unlocked).toContain("!8");
  });

  it("run notes and commit statuses of plans, applies, failures and dead runs, with every reason", () => {
    for (const reason of [null, ...reasons]) {
      for (const kind of ["plan", "apply"] as const) {
        for (const state of [planned, failed, neverReported]) {
          const run = report(kind, reason, [state]);
          for (const [index, note] of renderResultComments(run, gitlab.limits.comment).entries()) {
            expectGitlabWords(`${kind} note ${index} (${reason})`, note.body);
          }
          const status = renderCheckRun(run, state, gitlab.limits, words.changeRequestShort);
          for (const [field, text] of Object.entries(status)) {
            expectGitlabWords(`${kind} status ${field} (${reason})`, String(text));
          }
        }
      }
    }
  });

  it("the drift issue, its title and its resolved body", () => {
    const row = {
      ...dirspace,
      status: "drifted" as const,
      summary: { add: 0, change: 2, destroy: 0, import: 0 },
      output: "Plan: 0 to add, 2 to change, 0 to destroy.",
      note: null,
      checkedAt: new Date(),
      runUrl: "https://gitlab.example.com/acme/infra/-/pipelines/31",
      sha,
    };
    const body = renderDriftIssue({
      fullName: "acme/infra",
      branch: "main",
      rows: [row, { ...row, dir: "infra/b", status: "failed", summary: null, output: "Error: boom" }],
      limit: gitlab.limits.comment,
      changeRequest: words.changeRequest,
    });
    expectGitlabWords("drift issue", body);
    expect(body).toContain("apply it in a merge request");
    expectGitlabWords("drift title", driftIssueTitle("acme/infra"));
    expectGitlabWords("drift resolved", renderDriftResolved("acme/infra", "main", 2));
  });

  it("the broken-config status and command errors", () => {
    expectGitlabWords(
      "config status",
      configProblemsSummary(["a problem"], gitlab.limits.statusSummary, "merge requests"),
    );
    const invalid = parseCommand("terragate unlock soon");
    expect(invalid.kind).toBe("invalid");
    expectGitlabWords("unlock error", invalid.kind === "invalid" ? invalid.message : "");
    // GitLab writes merge requests !N: `terragate unlock !18` releases !18's locks.
    expect(parseCommand("terragate unlock !18 19")).toEqual({ kind: "unlock", pullRequests: [18, 19] });
  });

  it("catches a GitHub word (the check itself)", () => {
    expect(githubWordsIn("comment on this PR, see #12 and the workflow run")).toHaveLength(3);
    expect(githubWordsIn("<!-- terragate:plan:pr-7 --> comment on this MR, see !12")).toEqual([]);
  });
});
