// The refusal comment: which rule stopped a command, for which dirspaces, and what to type next.
import type { QueryAction } from "../domain/command.ts";
import { type DirspaceRef, formatDirspace } from "../domain/dirspace.ts";
import type { RefusalProblem } from "../evaluator/decide.ts";

export function refusalMarker(prNumber: number): string {
  return `<!-- terragate:refusal:pr-${prNumber} -->`;
}

const verb: Record<QueryAction | "unlock", string> = {
  unlock: "unlock",
  plan: "plan",
  apply: "apply",
  "apply-force": "apply (force)",
  "apply-autoapprove": "apply (autoapprove)",
};

const shortSha = (sha: string) => sha.slice(0, 7);
const code = (text: string) => `\`${text.replaceAll("`", "'")}\``;

/** `infra/a` (default), `infra/b` (prod) — at most `limit` shown, then "and N more". */
export function listDirspaces(dirspaces: DirspaceRef[], limit = 10): string {
  const shown = dirspaces.slice(0, limit).map((dirspace) => `${code(dirspace.dir)} (${dirspace.workspace})`);
  const more = dirspaces.length - shown.length;
  return more > 0 ? `${shown.join(", ")} and ${more} more` : shown.join(", ");
}

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

function problemLine(problem: RefusalProblem, pr: { headSha: string; baseSha: string }, now: Date): string {
  switch (problem.rule) {
    case "access": {
      const who =
        problem.allowed.length === 0
          ? "nobody (no access policy matches)"
          : problem.allowed.map(code).join(", ");
      return `you may not ${problem.action.replace("_", "-")} ${listDirspaces(problem.dirspaces)}: allowed are ${who} — ask one of them to comment`;
    }
    case "no_plan":
      return `no plan for ${listDirspaces(problem.dirspaces)} in this PR — comment ${code("terragate plan")}`;
    case "stale_plan":
      return problem.planHeadSha !== pr.headSha
        ? `the plan for ${listDirspaces([problem.dirspace])} is from ${code(shortSha(problem.planHeadSha))} but the PR is at ${code(shortSha(pr.headSha))} — comment ${code("terragate plan")}`
        : `the plan for ${listDirspaces([problem.dirspace])} was made against base ${code(shortSha(problem.planBaseSha))} but the base is now ${code(shortSha(pr.baseSha))} — comment ${code("terragate plan")}`;
    case "superseded":
      return `#${problem.pullRequestNumber} ${problem.kind} ${listDirspaces([problem.dirspace])} after this plan — comment ${code("terragate plan")}`;
    case "locked":
      return `${listDirspaces(problem.dirspaces)} locked by #${problem.pullRequestNumber} (applied ${relativeTime(problem.acquiredAt, now)}) — merge or close #${problem.pullRequestNumber}, or comment ${code(`terragate unlock ${problem.pullRequestNumber}`)}`;
    case "approval": {
      const parts = [`${problem.have} of ${problem.need} required approval${problem.need === 1 ? "" : "s"}`];
      if (problem.anyOf.length > 0) parts.push(`from ${problem.anyOf.map(code).join(", ")}`);
      if (problem.missingAllOf.length > 0)
        parts.push(`and none yet from ${problem.missingAllOf.map(code).join(", ")}`);
      return `${parts.join(" ")} — get a review, then comment ${code("terragate apply")}`;
    }
    case "merge_conflicts":
      return `the PR has merge conflicts — resolve them, then ${code("terragate plan")} again`;
    case "status_checks":
      return `status checks are not green: ${problem.failing.slice(0, 10).map(code).join(", ")} — wait for them or fix them, then comment ${code("terragate apply")}`;
    case "draft":
      return `the PR is a draft — mark it ready for review, then comment ${code("terragate apply")}`;
    case "apply_after_merge":
      return "this repository applies after merge — merge the PR, then comment `terragate apply`";
    case "pr_not_open":
      return `the PR is ${problem.state} — reopen it to run commands`;
    default: {
      const unreachable: never = problem;
      return unreachable;
    }
  }
}

export interface RefusalInput {
  prNumber: number;
  action: QueryAction | "unlock";
  dirspaces: DirspaceRef[];
  problems: RefusalProblem[];
  pullRequest: { headSha: string; baseSha: string };
  requestedBy: string;
  now?: Date;
}

/** One comment, edited in place per PR, listing every problem with its next step. */
export function renderRefusal(input: RefusalInput): string {
  const now = input.now ?? new Date();
  const lines = [
    refusalMarker(input.prNumber),
    `:no_entry: **Cannot ${verb[input.action]}** ${listDirspaces(input.dirspaces)}`,
    ...input.problems.map((problem) => `- ${problemLine(problem, input.pullRequest, now)}`),
    "",
    `Requested by @${input.requestedBy} · ${code(shortSha(input.pullRequest.headSha))}`,
  ];
  return lines.join("\n");
}

export { formatDirspace };
