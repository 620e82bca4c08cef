// Apply requirements as a pure check: merge state, draft, approvals of the current head, changes requested, status checks.
import type { ApplyRequirements } from "../domain/repo-config.ts";
import type { PullRequestInfo, StatusCheck } from "../vcs/types.ts";
import { canWrite, type PersonFacts, principalMatches } from "./access.ts";

/** A person's latest decisive review (approved or changes requested) and the commit it was given on. */
export interface ReviewFact {
  person: PersonFacts;
  state: "approved" | "changes_requested";
  commitSha: string | null;
}

export type RequirementProblem =
  | {
      rule: "approval";
      have: number;
      need: number;
      anyOf: string[];
      missingAllOf: string[];
      /** Approvals that would count but were given on an older commit. */
      stale: Array<{ login: string; commitSha: string | null }>;
    }
  | { rule: "changes_requested"; reviewers: string[] }
  | { rule: "merge_conflicts" }
  | { rule: "status_checks"; failing: string[] }
  | { rule: "draft" }
  | { rule: "apply_after_merge" };

export interface RequirementFacts {
  requirements: ApplyRequirements;
  pullRequest: PullRequestInfo;
  reviews: readonly ReviewFact[];
  statusChecks: readonly StatusCheck[];
}

export function requirementProblems(facts: RequirementFacts): RequirementProblem[] {
  const { requirements, pullRequest } = facts;
  const problems: RequirementProblem[] = [];
  if (requirements.apply_after_merge && pullRequest.state !== "merged")
    problems.push({ rule: "apply_after_merge" });
  if (requirements.ready_for_review && pullRequest.draft) problems.push({ rule: "draft" });
  if (requirements.merge_conflicts && pullRequest.mergeable === false)
    problems.push({ rule: "merge_conflicts" });
  if (requirements.approved.enabled) problems.push(...approvalProblems(facts));
  if (requirements.status_checks.enabled) {
    const failing = failingChecks(requirements.status_checks.ignore_matching, facts.statusChecks);
    if (failing.length > 0) problems.push({ rule: "status_checks", failing });
  }
  return problems;
}

/**
 * Approvals count when given on the PR's current head (unless `dismiss_stale: false`), by someone
 * other than the author whom `any_of` names (or, with `any_of` empty, who can push, as GitHub
 * requires of reviewers). Changes requested by such a person, or by an `all_of` principal, block
 * until that person approves or the review is dismissed.
 */
function approvalProblems(facts: RequirementFacts): RequirementProblem[] {
  const approved = facts.requirements.approved;
  const { headSha, author } = facts.pullRequest;
  const eligible = (person: PersonFacts) =>
    approved.any_of.length === 0
      ? canWrite(person)
      : approved.any_of.some((principal) => principalMatches(principal, person));
  const current = (review: ReviewFact) => !approved.dismiss_stale || review.commitSha === headSha;
  const approvals = facts.reviews.filter(
    (review) => review.state === "approved" && review.person.login.toLowerCase() !== author.toLowerCase(),
  );
  const counted = approvals.filter((review) => current(review) && eligible(review.person));
  const stale = approvals
    .filter((review) => !current(review) && eligible(review.person))
    .map((review) => ({ login: review.person.login, commitSha: review.commitSha }));
  const missingAllOf = approved.all_of.filter(
    (principal) => !approvals.some((review) => current(review) && principalMatches(principal, review.person)),
  );
  const problems: RequirementProblem[] = [];
  if (counted.length < approved.any_of_count || missingAllOf.length > 0) {
    problems.push({
      rule: "approval",
      have: counted.length,
      need: approved.any_of_count,
      anyOf: approved.any_of,
      missingAllOf,
      stale,
    });
  }
  const blocking = facts.reviews.filter(
    (review) =>
      review.state === "changes_requested" &&
      (eligible(review.person) ||
        approved.all_of.some((principal) => principalMatches(principal, review.person))),
  );
  if (blocking.length > 0) {
    problems.push({ rule: "changes_requested", reviewers: blocking.map((review) => review.person.login) });
  }
  return problems;
}

/** Checks that are not green, skipping this app's own and those `ignore_matching` names. */
function failingChecks(ignoreMatching: readonly string[], checks: readonly StatusCheck[]): string[] {
  const ignore = ignoreMatching.map((source) => new RegExp(source));
  const failing = checks
    .filter((check) => !check.ownCheck)
    .filter((check) => !ignore.some((pattern) => pattern.test(check.name)))
    .filter(
      (check) =>
        check.conclusion !== "success" && check.conclusion !== "neutral" && check.conclusion !== "skipped",
    )
    .map((check) => `${check.name} (${check.conclusion})`);
  return [...new Set(failing)];
}
