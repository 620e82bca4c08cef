// The refusal comment: which rule stopped a command, for which dirspaces, and what to type next.

import type { DirspaceRef } from "../domain/dirspace.ts";
import { repoConfigPath } from "../domain/parse-repo-config.ts";
import type { PolicySource } from "../evaluator/access.ts";
import type { RefusalProblem, RefusedAction } from "../evaluator/decide.ts";
import { dirspaceList, inlineCode } from "./markdown.ts";

export function refusalMarker(prNumber: number): string {
  return `<!-- terragate:refusal:pr-${prNumber} -->`;
}

const verb: Record<RefusedAction | "unlock", string> = {
  autoplan: "plan automatically",
  unlock: "unlock",
  plan: "plan",
  apply: "apply",
  "apply-force": "apply (force)",
  "apply-autoapprove": "apply (autoapprove)",
};

const shortSha = (sha: string) => sha.slice(0, 7);

/** "2 hours ago", coarse on purpose. */
export function relativeTime(then: Date, now: Date): string {
  const seconds = Math.max(0, Math.round((now.getTime() - then.getTime()) / 1000));
  const units: Array<[number, string]> = [
    [86_400, "day"],
    [3_600, "hour"],
    [60, "minute"],
  ];
  for (const [size, name] of units) {
    const count = Math.floor(seconds / size);
    if (count >= 1) return `${count} ${name}${count === 1 ? "" : "s"} ago`;
  }
  return "just now";
}

/** Where a principal list came from, so a person knows which file and key to change. */
function sourceText(source: PolicySource, defaultBranch: string): string {
  const file = `${inlineCode(repoConfigPath)} on ${inlineCode(defaultBranch)}`;
  switch (source.kind) {
    case "default":
      return `Terragate's default, as ${file} has no ${inlineCode("access_control")}`;
    case "policy": {
      const query = source.tagQuery.trim() === "" ? "" : ` (tag_query ${inlineCode(source.tagQuery)})`;
      return `${inlineCode(`access_control.policies[${source.index}]`)}${query} in ${file}`;
    }
    case "no_match":
      return `no ${inlineCode("access_control")} policy in ${file} matches`;
    default: {
      const unreachable: never = source;
      return unreachable;
    }
  }
}

function allowedText(allowed: string[], source: PolicySource, defaultBranch: string): string {
  const who = allowed.length === 0 ? "nobody" : allowed.map(inlineCode).join(", ");
  return `allowed: ${who} (${sourceText(source, defaultBranch)})`;
}

function forkLine(
  problem: Extract<RefusalProblem, { rule: "fork" }>,
  defaultBranch: string,
  words: RefusalWords,
): string {
  const cr = words.changeRequestShort;
  const from = problem.headRepository
    ? `the fork ${inlineCode(problem.headRepository)}`
    : "a fork that no longer exists";
  const file = `${inlineCode(repoConfigPath)} on ${inlineCode(defaultBranch)}`;
  return problem.forkPrs === "refuse"
    ? `this ${cr} comes from ${from}, and Terragate runs nothing for ${cr}s from forks (${inlineCode("fork_prs: refuse")}, the default) — an admin can set ${inlineCode("fork_prs: allow")} in ${file}; then people ${inlineCode("access_control")} allows can run it by comment after reviewing the code`
    : `this ${cr} comes from ${from}: ${cr}s from forks are never planned on push (${inlineCode("fork_prs: allow")} runs them only on a comment) — someone allowed to plan can review the code and comment ${inlineCode("terragate plan")}`;
}

/** How the VCS names change requests: `#42` and "PR" on GitHub, `!42` and "MR" on GitLab. */
export interface RefusalWords {
  changeRequestShort: string;
  reference(number: number): string;
}

interface LineContext {
  pullRequest: { headSha: string; baseSha: string };
  defaultBranch: string;
  now: Date;
  words: RefusalWords;
}

function problemLine(problem: RefusalProblem, context: LineContext): string {
  const { pullRequest: pr, defaultBranch, now, words } = context;
  const cr = words.changeRequestShort;
  const ref = words.reference;
  switch (problem.rule) {
    case "access": {
      const action = problem.action.replace("_", "-");
      return `@${problem.who} may not ${action} ${dirspaceList(problem.dirspaces)}; ${allowedText(problem.allowed, problem.source, defaultBranch)} — ask one of them to comment, or an admin for access`;
    }
    case "config_update": {
      const files = problem.files.slice(0, 5).map(inlineCode).join(", ");
      const more = problem.files.length > 5 ? ` and ${problem.files.length - 5} more` : "";
      return `this ${cr} changes ${files}${more}, so running ${dirspaceList(problem.dirspaces)} needs ${inlineCode("config_update")}, which @${problem.who} lacks; ${allowedText(problem.allowed, problem.source, defaultBranch)} — one of them must review the change and comment ${inlineCode("terragate plan")}`;
    }
    case "fork":
      return forkLine(problem, defaultBranch, words);
    case "no_plan":
      return `no plan for ${dirspaceList(problem.dirspaces)} in this ${cr} — comment ${inlineCode("terragate plan")}`;
    case "stale_plan":
      return problem.planHeadSha !== pr.headSha
        ? `the plan for ${dirspaceList([problem.dirspace])} is from ${inlineCode(shortSha(problem.planHeadSha))} but the ${cr} is at ${inlineCode(shortSha(pr.headSha))} — comment ${inlineCode("terragate plan")}`
        : `the plan for ${dirspaceList([problem.dirspace])} was made against base ${inlineCode(shortSha(problem.planBaseSha))} but the base is now ${inlineCode(shortSha(pr.baseSha))} — comment ${inlineCode("terragate plan")}`;
    case "superseded":
      return `${ref(problem.pullRequestNumber)} ${problem.kind} ${dirspaceList([problem.dirspace])} after this plan — comment ${inlineCode("terragate plan")}`;
    case "locked":
      return `${dirspaceList(problem.dirspaces)} locked by ${ref(problem.pullRequestNumber)} (applied ${relativeTime(problem.acquiredAt, now)}) — merge or close ${ref(problem.pullRequestNumber)}, or comment ${inlineCode(`terragate unlock ${problem.pullRequestNumber}`)}`;
    case "planned_before_dependency":
      return `the plan for ${dirspaceList([problem.dirspace])} was made before ${dirspaceList([problem.dependency])}, which it depends on, was applied — comment ${inlineCode(`terragate plan dir:${problem.dirspace.dir}`)} (or wait for the plan Terragate started after that apply)`;
    case "layer_order": {
      const query = problem.applyFirst.map((dirspace) => `dir:${dirspace.dir}`);
      const unique = [...new Set(query)];
      const next =
        unique.length === 0
          ? "apply what they depend on first"
          : `apply ${dirspaceList(problem.applyFirst)} first: comment ${inlineCode(`terragate apply ${unique.join(" or ")}`)}`;
      return `${dirspaceList(problem.dirspaces)} depend${problem.dirspaces.length === 1 ? "s" : ""} on changes of this ${cr} that are not applied yet (stacks order, from ${inlineCode(repoConfigPath)} on ${inlineCode(defaultBranch)}) — ${next}, then plan and apply the next layer`;
    }
    case "approval": {
      const parts = [`${problem.have} of ${problem.need} required approval${problem.need === 1 ? "" : "s"}`];
      if (problem.anyOf.length > 0) parts.push(`from ${problem.anyOf.map(inlineCode).join(", ")}`);
      if (problem.missingAllOf.length > 0)
        parts.push(`and none yet from ${problem.missingAllOf.map(inlineCode).join(", ")}`);
      const stale = problem.stale
        .slice(0, 5)
        .map(
          (review) =>
            `@${review.login} approved ${review.commitSha ? inlineCode(shortSha(review.commitSha)) : "an older commit"}`,
        );
      if (stale.length > 0)
        parts.push(
          `(${stale.join(", ")}, before the last push; approvals count for the head commit ${inlineCode(shortSha(pr.headSha))} only)`,
        );
      return `${parts.join(" ")} — get a review, then comment ${inlineCode("terragate apply")}`;
    }
    case "changes_requested":
      return `${problem.reviewers
        .slice(0, 10)
        .map((login) => `@${login}`)
        .join(
          ", ",
        )} requested changes — get their approval or have the review dismissed, then comment ${inlineCode("terragate apply")}`;
    case "merge_conflicts":
      return `the ${cr} has merge conflicts — resolve them, then ${inlineCode("terragate plan")} again`;
    case "status_checks":
      return `status checks are not green: ${problem.failing.slice(0, 10).map(inlineCode).join(", ")} — wait for them or fix them, then comment ${inlineCode("terragate apply")}`;
    case "draft":
      return `the ${cr} is a draft — mark it ready for review, then comment ${inlineCode("terragate apply")}`;
    case "apply_after_merge":
      return `this repository applies after merge — merge the ${cr}, then comment ${inlineCode("terragate apply")}`;
    case "pr_not_open":
      return `the ${cr} is ${problem.state} — reopen it to run commands`;
    default: {
      const unreachable: never = problem;
      return unreachable;
    }
  }
}

export interface RefusalInput {
  prNumber: number;
  action: RefusedAction | "unlock";
  dirspaces: DirspaceRef[];
  problems: RefusalProblem[];
  pullRequest: { headSha: string; baseSha: string };
  requestedBy: string;
  /** Where access control and fork_prs are read from, named in the lines that cite them. */
  defaultBranch: string;
  /** The VCS's words for change requests (the platform's). */
  words: RefusalWords;
  now?: Date;
}

/** One comment, edited in place per PR, listing every problem with its next step. */
export function renderRefusal(input: RefusalInput): string {
  const now = input.now ?? new Date();
  const lines = [
    refusalMarker(input.prNumber),
    `:no_entry: **Cannot ${verb[input.action]}** ${dirspaceList(input.dirspaces)}`,
    ...input.problems.map(
      (problem) =>
        `- ${problemLine(problem, { pullRequest: input.pullRequest, defaultBranch: input.defaultBranch, now, words: input.words })}`,
    ),
    "",
    `Requested by @${input.requestedBy} · ${inlineCode(shortSha(input.pullRequest.headSha))}`,
  ];
  return lines.join("\n");
}
