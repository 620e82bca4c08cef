// Collects the facts a command decision needs (people's roles and teams, approvals, checks, plans, locks), with the fewest calls.

import type { Executor } from "../db/client.ts";
import { lockHolders } from "../db/queries/dirspace-locks.ts";
import { latestPlans, latestSupersessions } from "../db/queries/plan-history.ts";
import type { Dirspace } from "../domain/dirspace.ts";
import type { RepoConfig } from "../domain/repo-config.ts";
import type { PullRequestInfo, RepoRole, StatusCheck, VcsProvider } from "../vcs/types.ts";
import { type PersonFacts, teamsNamedIn } from "./access.ts";
import type { LockFact, ReviewFact, StoredPlanFact, SupersessionFact } from "./decide.ts";

/**
 * Starts looking up a person's repository role before the config is known (it does not depend on
 * it), so the lookup overlaps reading the config; hand the result to createPersonResolver.
 */
export function prefetchRole(provider: VcsProvider, login: string): ReadonlyMap<string, Promise<RepoRole>> {
  const role = provider.getUserPermission(login);
  // Awaited later by the resolver; if evaluation stops before that, the failure is not unhandled.
  role.catch(() => {});
  return new Map([[login.toLowerCase(), role]]);
}

/** Looks up a person's role and the config's teams they belong to, once per person per evaluation. */
export function createPersonResolver(
  provider: VcsProvider,
  config: RepoConfig,
  prefetched: ReadonlyMap<string, Promise<RepoRole>> = new Map(),
) {
  const teams = teamsNamedIn(config);
  const cache = new Map<string, Promise<PersonFacts>>();
  const resolve = async (login: string): Promise<PersonFacts> => {
    const [role, memberships] = await Promise.all([
      prefetched.get(login.toLowerCase()) ?? provider.getUserPermission(login),
      Promise.all(teams.map(async (team) => ((await provider.isTeamMember(team, login)) ? team : null))),
    ]);
    return { login, role, teams: new Set(memberships.filter((team): team is string => team !== null)) };
  };
  return (login: string): Promise<PersonFacts> => {
    const key = login.toLowerCase();
    let facts = cache.get(key);
    if (!facts) {
      facts = resolve(login);
      cache.set(key, facts);
    }
    return facts;
  };
}

export interface ApplyFacts {
  reviews: ReviewFact[];
  statusChecks: StatusCheck[];
  latestPlans: StoredPlanFact[];
  supersessions: SupersessionFact[];
  locksHeldByOthers: LockFact[];
}

export interface ApplyFactsInput {
  executor: Executor;
  provider: VcsProvider;
  config: RepoConfig;
  resolvePerson: (login: string) => Promise<PersonFacts>;
  pullRequest: PullRequestInfo;
  pullRequestId: number;
  repositoryId: number;
  dirspaces: Dirspace[];
  /** Skip what apply-force does not check. */
  needRequirements: boolean;
}

/**
 * Each reviewer's latest decisive review (reviews come oldest first): an approval or a request for
 * changes, with the commit it was given on; a dismissed review leaves nothing.
 */
async function reviewFacts(input: ApplyFactsInput): Promise<ReviewFact[]> {
  if (!input.config.apply_requirements.approved.enabled) return [];
  const reviews = await input.provider.listReviews(input.pullRequest.number);
  const latest = new Map<string, (typeof reviews)[number] | null>();
  for (const review of reviews) {
    if (review.state === "commented" || review.state === "pending" || review.author === "") continue;
    const decisive = review.state === "approved" || review.state === "changes_requested";
    latest.set(review.author.toLowerCase(), decisive ? review : null);
  }
  const decisive = [...latest.values()].filter((review) => review !== null);
  return Promise.all(
    decisive.map(async (review) => ({
      person: await input.resolvePerson(review.author),
      state: review.state === "approved" ? ("approved" as const) : ("changes_requested" as const),
      commitSha: review.commitSha,
    })),
  );
}

export async function gatherApplyFacts(input: ApplyFactsInput): Promise<ApplyFacts> {
  const changed = input.dirspaces.filter((dirspace) => dirspace.changed);
  const requirements = input.config.apply_requirements;
  const [reviews, statusChecks, plans, supersessions, locks] = await Promise.all([
    input.needRequirements ? reviewFacts(input) : Promise.resolve([]),
    input.needRequirements && requirements.status_checks.enabled
      ? input.provider.listStatusChecks(input.pullRequest.headSha)
      : Promise.resolve([]),
    latestPlans(input.executor, input.pullRequestId, changed),
    latestSupersessions(input.executor, input.repositoryId, input.pullRequestId, changed),
    lockHolders(input.executor, input.repositoryId, changed),
  ]);
  return {
    reviews,
    statusChecks,
    latestPlans: plans,
    supersessions,
    locksHeldByOthers: locks.filter((lock) => lock.pullRequestNumber !== input.pullRequest.number),
  };
}
