// The evaluator's decision as a pure function: what was asked + config + dirspaces + facts → run, refuse or ignore.

import type { WorkManifestKind } from "../db/schema/work-manifests.ts";
import type { QueryAction } from "../domain/command.ts";
import { type Dirspace, type DirspaceRef, dirspaceKey } from "../domain/dirspace.ts";
import { matchesBranch } from "../domain/glob.ts";
import { blockingLocks, locksOnApply } from "../domain/locks.ts";
import { autoplanDirspaces, filterDirspaces } from "../domain/match.ts";
import type { ForkPrs, RepoConfig } from "../domain/repo-config.ts";
import type { StackLayers } from "../domain/stack-layers.ts";
import type { TagQuery } from "../domain/tag-query.ts";
import type { PullRequestInfo, StatusCheck } from "../vcs/types.ts";
import {
  type AccessAction,
  type AccessTagsOf,
  accessDenials,
  type PersonFacts,
  type PolicySource,
} from "./access.ts";
import { type RequirementProblem, type ReviewFact, requirementProblems } from "./apply-requirements.ts";

export type { ReviewFact } from "./apply-requirements.ts";

/** A stored plan that an apply may use: the newest one whose run succeeded for that dirspace. */
export interface StoredPlanFact extends DirspaceRef {
  planId: number;
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
  /**
   * A plan on push, on behalf of the PR's author; `next_layer` after a layer was applied, planning
   * only what has no plan at the head yet.
   */
  | { kind: "autoplan"; author: PersonFacts; trigger?: "push" | "next_layer" }
  | { kind: "command"; action: QueryAction; tagQuery: TagQuery; tagQueryText: string; user: PersonFacts };

export interface DecisionInput {
  request: DecisionRequest;
  pullRequest: PullRequestInfo;
  /** The merged config (who-may-do-what keys from the default branch). */
  config: RepoConfig;
  defaultBranch: string;
  /** Every dirspace of the PR head, `changed` set. */
  dirspaces: Dirspace[];
  /** Tags for access decisions, computed with the default branch's config. */
  accessTagsOf: AccessTagsOf;
  /** Changed files that need `config_update` (`.terragate/**`, the workflow file). */
  configChanges: string[];
  /** Each reviewer's latest decisive review, with their role and teams. */
  reviews: ReviewFact[];
  statusChecks: StatusCheck[];
  latestPlans: StoredPlanFact[];
  supersessions: SupersessionFact[];
  /** Locks other open PRs hold on this PR's dirspaces. */
  locksHeldByOthers: LockFact[];
  /** The changed dirspaces in apply order (the default branch's ordering rules), with their states at the head. */
  layers: StackLayers;
  /** When each changed dirspace was last applied at the head, by dirspaceKey (for plans older than that). */
  appliedAt: ReadonlyMap<string, Date>;
}

/** What a refusal is about: a command, or the plan on push. */
export type RefusedAction = QueryAction | "autoplan";

/** One reason a command cannot run; the refusal comment renders each as a line with what to type next. */
export type RefusalProblem =
  | {
      rule: "access";
      action: AccessAction;
      /** Whose permission was checked: the commenter, or the author for autoplan. */
      who: string;
      dirspaces: DirspaceRef[];
      allowed: string[];
      source: PolicySource;
    }
  | {
      rule: "config_update";
      who: string;
      files: string[];
      dirspaces: DirspaceRef[];
      allowed: string[];
      source: PolicySource;
    }
  | { rule: "fork"; headRepository: string | null; forkPrs: ForkPrs }
  | { rule: "no_plan"; dirspaces: DirspaceRef[] }
  | { rule: "stale_plan"; dirspace: DirspaceRef; planHeadSha: string; planBaseSha: string }
  | { rule: "superseded"; dirspace: DirspaceRef; pullRequestNumber: number; kind: "applied" | "merged" }
  | { rule: "locked"; dirspaces: DirspaceRef[]; pullRequestNumber: number; acquiredAt: Date }
  /** Dirspaces that depend on changed dirspaces not applied yet; `applyFirst` can be applied now. */
  | { rule: "layer_order"; dirspaces: DirspaceRef[]; applyFirst: DirspaceRef[] }
  /** The plan was made before a dirspace it depends on was applied: it may read outputs that changed since. */
  | { rule: "planned_before_dependency"; dirspace: DirspaceRef; dependency: DirspaceRef }
  | RequirementProblem
  | { rule: "pr_not_open"; state: PullRequestInfo["state"] };

/** The stored plan an apply validated, which the runner must download and nothing else. */
export interface PlanChoice extends DirspaceRef {
  planId: number;
}

export type Decision =
  | { kind: "ignore"; reason: string }
  | { kind: "nothing_matched"; action: QueryAction; tagQueryText: string; changedCount: number }
  | { kind: "refuse"; action: RefusedAction; dirspaces: DirspaceRef[]; problems: RefusalProblem[] }
  | {
      kind: "run";
      manifestKind: WorkManifestKind;
      dirspaces: Dirspace[];
      lockDirspaces: DirspaceRef[];
      /** Apply only: the plan each dirspace applies. */
      plans: PlanChoice[];
      /** Autoplan only: dirspaces left out because the author may not plan them. */
      skipped: RefusalProblem[];
      /** Planned dirspaces whose changed dependencies are not applied yet (the comment warns). */
      unappliedDependencies: DependencyWait[];
    };

/** A dirspace and the changed, unapplied dirspaces it depends on. */
export interface DependencyWait {
  dirspace: DirspaceRef;
  waitsFor: DirspaceRef[];
}

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

function forkProblem(input: DecisionInput): RefusalProblem {
  return {
    rule: "fork",
    headRepository: input.pullRequest.headRepository?.fullName ?? null,
    forkPrs: input.config.fork_prs,
  };
}

export function decide(input: DecisionInput): Decision {
  const { request, pullRequest, config } = input;
  if (!isDestinationBranch(config, input.defaultBranch, pullRequest.baseRef)) {
    return { kind: "ignore", reason: `base branch ${pullRequest.baseRef} is not a destination branch` };
  }
  if (request.kind === "autoplan") return decideAutoplan(input, request.author);

  const { action } = request;
  const changed = input.dirspaces.filter((dirspace) => dirspace.changed);
  if (pullRequest.fromFork && config.fork_prs === "refuse") {
    return { kind: "refuse", action, dirspaces: changed.map(ref), problems: [forkProblem(input)] };
  }
  const matched = filterDirspaces(changed, request.tagQuery);
  // Without a tag query, a plan takes what can be planned now; a query can plan anything (with a warning).
  const targets =
    action === "plan" && request.tagQuery.kind === "all" ? matched.filter((d) => isReady(input, d)) : matched;
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
  problems.push(...accessProblems(input, accessActionOf[action], request.user, targets));
  problems.push(...configUpdateProblems(input, request.user, targets));

  let plans: PlanChoice[] = [];
  if (isApply) {
    if (action !== "apply-force") {
      problems.push(
        ...requirementProblems({
          requirements: config.apply_requirements,
          pullRequest,
          reviews: input.reviews,
          statusChecks: input.statusChecks,
        }),
      );
    }
    if (action !== "apply-autoapprove") {
      const validity = planValidity(input, targets);
      problems.push(...validity.problems);
      plans = validity.plans;
    }
    problems.push(...lockProblems(input, targets));
    problems.push(...layerOrderProblems(input, targets));
  }

  if (problems.length > 0) return { kind: "refuse", action, dirspaces: targets.map(ref), problems };
  return {
    kind: "run",
    manifestKind: manifestKindOf[action],
    dirspaces: targets,
    lockDirspaces: isApply ? lockDirspacesFor(config, targets, changed) : [],
    plans,
    skipped: [],
    unappliedDependencies: dependencyWaits(input, targets),
  };
}

/**
 * A plan on push acts for the PR's author: it never runs for a fork, runs only the dirspaces the
 * author may plan (the others are listed as skipped), and nothing at all when the PR changes
 * Terragate's config and the author may not do that.
 */
function decideAutoplan(input: DecisionInput, author: PersonFacts): Decision {
  const { pullRequest } = input;
  const nextLayer = input.request.kind === "autoplan" && input.request.trigger === "next_layer";
  if (pullRequest.state !== "open" && !(nextLayer && appliesAfterMerge(input))) {
    return { kind: "ignore", reason: "the pull request is not open" };
  }
  const targets = autoplanDirspaces(input.dirspaces, pullRequest.draft).filter((dirspace) => {
    const entry = layerEntry(input, dirspace);
    if (entry === undefined) return true;
    // Applied ones are done; a later layer waits until what it depends on is applied.
    if (entry.state === "applied" || entry.blockedBy.length > 0) return false;
    return !nextLayer || entry.state === "unplanned";
  });
  if (targets.length === 0) {
    return { kind: "ignore", reason: "no changed dirspace with autoplan on can be planned now" };
  }
  const refuse = (problems: RefusalProblem[]): Decision => ({
    kind: "refuse",
    action: "autoplan",
    dirspaces: targets.map(ref),
    problems,
  });
  if (pullRequest.fromFork) return refuse([forkProblem(input)]);

  const skipped = accessProblems(input, "plan", author, targets);
  const denied = new Set(
    skipped.flatMap((problem) => (problem.rule === "access" ? problem.dirspaces.map(dirspaceKey) : [])),
  );
  const allowed = targets.filter((dirspace) => !denied.has(dirspaceKey(dirspace)));
  if (allowed.length === 0) return refuse(skipped);
  const configProblems = configUpdateProblems(input, author, allowed);
  if (configProblems.length > 0) return refuse([...skipped, ...configProblems]);
  return {
    kind: "run",
    manifestKind: "plan",
    dirspaces: allowed,
    lockDirspaces: [],
    plans: [],
    skipped,
    unappliedDependencies: [],
  };
}

/**
 * A merged PR whose repository applies after merge still has layers to apply: once one is applied
 * there, the next is planned there too (at the PR's head, where the applied layer was planned), or
 * nothing could ever apply it. Merged PRs are otherwise never planned.
 */
function appliesAfterMerge(input: DecisionInput): boolean {
  return input.pullRequest.state === "merged" && input.config.apply_requirements.apply_after_merge;
}

/** Each changed dirspace's place in the layers, by dirspaceKey (built once per input). */
const layerIndexes = new WeakMap<
  StackLayers,
  Map<string, StackLayers["layers"][number]["dirspaces"][number]>
>();

function layerEntry(input: DecisionInput, dirspace: DirspaceRef) {
  let index = layerIndexes.get(input.layers);
  if (!index) {
    index = new Map();
    for (const layer of input.layers.layers)
      for (const entry of layer.dirspaces) index.set(dirspaceKey(entry.dirspace), entry);
    layerIndexes.set(input.layers, index);
  }
  return index.get(dirspaceKey(dirspace));
}

/** Whether every changed dirspace this one depends on is applied. */
function isReady(input: DecisionInput, dirspace: DirspaceRef): boolean {
  return (layerEntry(input, dirspace)?.blockedBy.length ?? 0) === 0;
}

function dependencyWaits(input: DecisionInput, targets: readonly DirspaceRef[]): DependencyWait[] {
  return targets.flatMap((dirspace) => {
    const waitsFor = layerEntry(input, dirspace)?.blockedBy ?? [];
    return waitsFor.length === 0 ? [] : [{ dirspace: ref(dirspace), waitsFor }];
  });
}

/**
 * An apply of a dirspace whose changed dependencies are not applied yet is refused, naming the ones
 * that can be applied now (those waiting for nothing themselves), so the next command is clear.
 */
function layerOrderProblems(input: DecisionInput, targets: readonly DirspaceRef[]): RefusalProblem[] {
  const waits = dependencyWaits(input, targets);
  if (waits.length === 0) return [];
  const first = new Map<string, DirspaceRef>();
  for (const wait of waits)
    for (const blocker of wait.waitsFor)
      if (isReady(input, blocker)) first.set(dirspaceKey(blocker), blocker);
  return [
    {
      rule: "layer_order",
      dirspaces: waits.map((wait) => wait.dirspace),
      applyFirst: [...first.values()].sort((a, b) => dirspaceKey(a).localeCompare(dirspaceKey(b))),
    },
  ];
}

function accessProblems(
  input: DecisionInput,
  action: AccessAction,
  person: PersonFacts,
  targets: readonly DirspaceRef[],
): RefusalProblem[] {
  return accessDenials(input.config, action, person, targets, input.accessTagsOf).map((denial) => ({
    rule: "access" as const,
    action,
    who: person.login,
    dirspaces: denial.dirspaces,
    allowed: denial.allowed,
    source: denial.source,
  }));
}

/** A PR that changes `.terragate/**` or the workflow file runs only for people `config_update` allows. */
function configUpdateProblems(
  input: DecisionInput,
  person: PersonFacts,
  targets: readonly DirspaceRef[],
): RefusalProblem[] {
  if (input.configChanges.length === 0) return [];
  return accessDenials(input.config, "config_update", person, targets, input.accessTagsOf).map((denial) => ({
    rule: "config_update" as const,
    who: person.login,
    files: input.configChanges,
    dirspaces: denial.dirspaces,
    allowed: denial.allowed,
    source: denial.source,
  }));
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

/** A changed dirspace this one depends on that was applied after `since`, if any. */
function appliedSince(input: DecisionInput, dirspace: DirspaceRef, since: Date): DirspaceRef | undefined {
  return layerEntry(input, dirspace)?.dependsOn.find(
    (dependency) => (input.appliedAt.get(dirspaceKey(dependency))?.getTime() ?? 0) > since.getTime(),
  );
}

/** Each target needs its latest successful plan, made at the PR's current shas and not superseded since. */
function planValidity(
  input: DecisionInput,
  targets: Dirspace[],
): { problems: RefusalProblem[]; plans: PlanChoice[] } {
  const problems: RefusalProblem[] = [];
  const plans: PlanChoice[] = [];
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
    const applied = appliedSince(input, dirspace, plan.createdAt);
    if (applied) {
      problems.push({ rule: "planned_before_dependency", dirspace: ref(dirspace), dependency: applied });
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
      continue;
    }
    plans.push({ ...ref(dirspace), planId: plan.planId });
  }
  if (missing.length > 0) problems.unshift({ rule: "no_plan", dirspaces: missing });
  return { problems, plans };
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
  return lockedProblems(
    input.locksHeldByOthers.filter((lock) => blocking.has(`${lock.pullRequestNumber}:${dirspaceKey(lock)}`)),
  );
}

/** One "locked" problem per PR holding some of the locks, with its dirspaces once each. */
function lockedProblems(locks: LockFact[]): RefusalProblem[] {
  const byPr = new Map<number, { dirspaces: DirspaceRef[]; acquiredAt: Date }>();
  for (const lock of locks) {
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

/**
 * The refusal when another PR took a lock after the decision, before the run's transaction (the
 * unique constraint settles that race): the same "locked" problems `decide` gives when it sees them.
 */
export function decideLockRace(
  action: RefusedAction,
  run: Extract<Decision, { kind: "run" }>,
  holders: LockFact[],
): Extract<Decision, { kind: "refuse" }> {
  return { kind: "refuse", action, dirspaces: run.dirspaces.map(ref), problems: lockedProblems(holders) };
}
