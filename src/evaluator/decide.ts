// The evaluator's decision as a pure function: what was asked + config + dirspaces + facts → run, refuse or ignore.

import type { WorkManifestKind } from "../db/schema/work-manifests.ts";
import type { QueryAction } from "../domain/command.ts";
import { type Dirspace, type DirspaceRef, dirspaceKey } from "../domain/dirspace.ts";
import { matchesBranch } from "../domain/glob.ts";
import { blockingLocks, locksOnApply } from "../domain/locks.ts";
import { autoplanDirspaces, filterDirspaces } from "../domain/match.ts";
import type { RepoConfig } from "../domain/repo-config.ts";
import type { TagQuery } from "../domain/tag-query.ts";
import type { PullRequestInfo, StatusCheck } from "../vcs/types.ts";
import { type AccessAction, accessDenials, type PersonFacts, principalMatches } from "./access.ts";

export interface StoredPlanFact extends DirspaceRef {
  baseSha: string;
  headSha: string;
  createdAt: Date;
}

export interface SupersessionFact extends DirspaceRef {
  pullRequestNumber: number;
  kind: "applied" | "merged";
  at: Date;
}

export interface LockFact extends DirspaceRef {
  pullRequestNumber: number;
  acquiredAt: Date;
}

export type DecisionRequest =
  | { kind: "autoplan" }
  | { kind: "command"; action: QueryAction; tagQuery: TagQuery; tagQueryText: string; user: PersonFacts };

export interface DecisionInput {
  request: DecisionRequest;
  pullRequest: PullRequestInfo;
  /** The merged config (security keys from the default branch). */
  config: RepoConfig;
  defaultBranch: string;
  /** Every dirspace of the PR head, `changed` set. */
  dirspaces: Dirspace[];
  /** Reviewers whose latest review approves, with their role and teams. */
  approvers: PersonFacts[];
  statusChecks: StatusCheck[];
  latestPlans: StoredPlanFact[];
  supersessions: SupersessionFact[];
  /** Locks other open PRs hold on this PR's dirspaces. */
  locksHeldByOthers: LockFact[];
}

/** One reason a command cannot run; the refusal comment renders each as a line with what to type next. */
export type RefusalProblem =
  | { rule: "access"; action: AccessAction; dirspaces: DirspaceRef[]; allowed: string[] }
  | { rule: "no_plan"; dirspaces: DirspaceRef[] }
  | { rule: "stale_plan"; dirspace: DirspaceRef; planHeadSha: string; planBaseSha: string }
  | { rule: "superseded"; dirspace: DirspaceRef; pullRequestNumber: number; kind: "applied" | "merged" }
  | { rule: "locked"; dirspaces: DirspaceRef[]; pullRequestNumber: number; acquiredAt: Date }
  | { rule: "approval"; have: number; need: number; anyOf: string[]; missingAllOf: string[] }
  | { rule: "merge_conflicts" }
  | { rule: "status_checks"; failing: string[] }
  | { rule: "draft" }
  | { rule: "apply_after_merge" }
  | { rule: "pr_not_open"; state: PullRequestInfo["state"] };

export type Decision =
  | { kind: "ignore"; reason: string }
  | { kind: "nothing_matched"; action: QueryAction; tagQueryText: string; changedCount: number }
  | { kind: "refuse"; action: QueryAction; dirspaces: DirspaceRef[]; problems: RefusalProblem[] }
  | { kind: "run"; manifestKind: WorkManifestKind; dirspaces: Dirspace[]; lockDirspaces: DirspaceRef[] };

const manifestKindOf: Record<QueryAction, WorkManifestKind> = {
  plan: "plan",
  apply: "apply",
  "apply-force": "apply",
  "apply-autoapprove": "autoapprove",
};

const accessActionOf: Record<QueryAction, AccessAction> = {
  plan: "plan",
  apply: "apply",
  "apply-force": "apply_force",
  "apply-autoapprove": "apply_autoapprove",
};

const sameDirspace = (a: DirspaceRef, b: DirspaceRef) => a.dir === b.dir && a.workspace === b.workspace;

/** Whether PRs into this branch are Terragate's business (destination_branches, default: the default branch). */
export function isDestinationBranch(config: RepoConfig, defaultBranch: string, baseRef: string): boolean {
  const branches = config.destination_branches ?? [defaultBranch];
  return matchesBranch(branches, baseRef);
}

export function decide(input: DecisionInput): Decision {
  const { request, pullRequest, config } = input;
  if (!isDestinationBranch(config, input.defaultBranch, pullRequest.baseRef)) {
    return { kind: "ignore", reason: `base branch ${pullRequest.baseRef} is not a destination branch` };
  }
  const changed = input.dirspaces.filter((dirspace) => dirspace.changed);
  if (request.kind === "autoplan") {
    if (pullRequest.state !== "open") return { kind: "ignore", reason: "the pull request is not open" };
    const targets = autoplanDirspaces(input.dirspaces, pullRequest.draft);
    if (targets.length === 0) return { kind: "ignore", reason: "no changed dirspace has autoplan on" };
    return { kind: "run", manifestKind: "plan", dirspaces: targets, lockDirspaces: [] };
  }

  const { action } = request;
  const targets = filterDirspaces(changed, request.tagQuery);
  if (targets.length === 0) {
    return {
      kind: "nothing_matched",
      action,
      tagQueryText: request.tagQueryText,
      changedCount: changed.length,
    };
  }
  const problems: RefusalProblem[] = [];
  const isApply = action !== "plan";
  const applyAfterMerge = config.apply_requirements.apply_after_merge;
  if (pullRequest.state !== "open" && !(isApply && applyAfterMerge && pullRequest.state === "merged")) {
    problems.push({ rule: "pr_not_open", state: pullRequest.state });
  }

  for (const denial of accessDenials(config, accessActionOf[action], request.user, targets)) {
    problems.push({
      rule: "access",
      action: accessActionOf[action],
      dirspaces: denial.dirspaces.map(ref),
      allowed: denial.allowed,
    });
  }

  if (isApply) {
    if (action !== "apply-force") problems.push(...applyRequirementProblems(input));
    if (action !== "apply-autoapprove") problems.push(...planValidityProblems(input, targets));
    problems.push(...lockProblems(input, targets));
  }

  if (problems.length > 0) return { kind: "refuse", action, dirspaces: targets.map(ref), problems };
  return {
    kind: "run",
    manifestKind: manifestKindOf[action],
    dirspaces: targets,
    lockDirspaces: isApply ? lockDirspacesFor(config, targets, changed) : [],
  };
}

function ref(dirspace: DirspaceRef): DirspaceRef {
  return { dir: dirspace.dir, workspace: dirspace.workspace };
}

/** The dirspaces an apply locks under the repo's lock_policy. */
export function lockDirspacesFor(
  config: RepoConfig,
  targets: Dirspace[],
  changed: Dirspace[],
): DirspaceRef[] {
  return locksOnApply(config.lock_policy, targets.map(ref), changed.map(ref));
}

function applyRequirementProblems(input: DecisionInput): RefusalProblem[] {
  const requirements = input.config.apply_requirements;
  const { pullRequest } = input;
  const problems: RefusalProblem[] = [];
  if (requirements.apply_after_merge && pullRequest.state !== "merged")
    problems.push({ rule: "apply_after_merge" });
  if (requirements.ready_for_review && pullRequest.draft) problems.push({ rule: "draft" });
  if (requirements.merge_conflicts && pullRequest.mergeable === false)
    problems.push({ rule: "merge_conflicts" });
  const approved = requirements.approved;
  if (approved.enabled) {
    const counted = input.approvers.filter(
      (approver) =>
        approver.login.toLowerCase() !== pullRequest.author.toLowerCase() &&
        (approved.any_of.length === 0 ||
          approved.any_of.some((principal) => principalMatches(principal, approver))),
    );
    const missingAllOf = approved.all_of.filter(
      (principal) => !input.approvers.some((approver) => principalMatches(principal, approver)),
    );
    if (counted.length < approved.any_of_count || missingAllOf.length > 0) {
      problems.push({
        rule: "approval",
        have: counted.length,
        need: approved.any_of_count,
        anyOf: approved.any_of,
        missingAllOf,
      });
    }
  }
  if (requirements.status_checks.enabled) {
    const ignore = requirements.status_checks.ignore_matching.map((source) => new RegExp(source));
    const failing = input.statusChecks
      .filter((check) => !check.name.startsWith("terragate "))
      .filter((check) => !ignore.some((pattern) => pattern.test(check.name)))
      .filter(
        (check) =>
          check.conclusion !== "success" && check.conclusion !== "neutral" && check.conclusion !== "skipped",
      )
      .map((check) => `${check.name} (${check.conclusion})`);
    if (failing.length > 0) problems.push({ rule: "status_checks", failing: [...new Set(failing)] });
  }
  return problems;
}

function planValidityProblems(input: DecisionInput, targets: Dirspace[]): RefusalProblem[] {
  const problems: RefusalProblem[] = [];
  const missing: DirspaceRef[] = [];
  for (const dirspace of targets) {
    const plan = input.latestPlans.find((candidate) => sameDirspace(candidate, dirspace));
    if (!plan) {
      missing.push(ref(dirspace));
      continue;
    }
    if (plan.headSha !== input.pullRequest.headSha || plan.baseSha !== input.pullRequest.baseSha) {
      problems.push({
        rule: "stale_plan",
        dirspace: ref(dirspace),
        planHeadSha: plan.headSha,
        planBaseSha: plan.baseSha,
      });
      continue;
    }
    const later = input.supersessions.find(
      (candidate) => sameDirspace(candidate, dirspace) && candidate.at.getTime() > plan.createdAt.getTime(),
    );
    if (later) {
      problems.push({
        rule: "superseded",
        dirspace: ref(dirspace),
        pullRequestNumber: later.pullRequestNumber,
        kind: later.kind,
      });
    }
  }
  if (missing.length > 0) problems.unshift({ rule: "no_plan", dirspaces: missing });
  return problems;
}

function lockProblems(input: DecisionInput, targets: Dirspace[]): RefusalProblem[] {
  const changed = input.dirspaces.filter((dirspace) => dirspace.changed);
  const wanted = [...targets.map(ref), ...lockDirspacesFor(input.config, targets, changed)];
  const held = input.locksHeldByOthers.map((lock) => ({ ...lock, pullRequest: lock.pullRequestNumber }));
  const blocking = new Set(
    blockingLocks(wanted, held, input.pullRequest.number).map(
      (lock) => `${lock.pullRequest}:${dirspaceKey(lock)}`,
    ),
  );
  const byPr = new Map<number, { dirspaces: DirspaceRef[]; acquiredAt: Date }>();
  for (const lock of input.locksHeldByOthers) {
    if (!blocking.has(`${lock.pullRequestNumber}:${dirspaceKey(lock)}`)) continue;
    const entry = byPr.get(lock.pullRequestNumber) ?? { dirspaces: [], acquiredAt: lock.acquiredAt };
    if (!entry.dirspaces.some((dirspace) => sameDirspace(dirspace, lock))) entry.dirspaces.push(ref(lock));
    byPr.set(lock.pullRequestNumber, entry);
  }
  return [...byPr.entries()].map(([pullRequestNumber, entry]) => ({
    rule: "locked" as const,
    pullRequestNumber,
    dirspaces: entry.dirspaces,
    acquiredAt: entry.acquiredAt,
  }));
}
