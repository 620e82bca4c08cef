// Collects the facts a command decision needs (people's roles and teams, approvals, checks, plans, locks), with the fewest calls.

import type { Executor } from "../db/client.ts";
import { lockHolders } from "../db/queries/dirspace-locks.ts";
import { latestPlans, latestSupersessions } from "../db/queries/plan-history.ts";
import type { Dirspace } from "../domain/dirspace.ts";
import type { RepoConfig } from "../domain/repo-config.ts";
import type { PullRequestInfo, StatusCheck, VcsProvider } from "../vcs/types.ts";
import { type PersonFacts, teamsNamedIn } from "./access.ts";
import type { LockFact, StoredPlanFact, SupersessionFact } from "./decide.ts";

/** Looks up a person's role and the config's teams they belong to, once per person per evaluation. */
export function createPersonResolver(provider: VcsProvider, config: RepoConfig) {
  const teams = teamsNamedIn(config);
  const cache = new Map<string, Promise<PersonFacts>>();
  const resolve = async (login: string): Promise<PersonFacts> => {
    const [role, memberships] = await Promise.all([
      provider.getUserPermission(login),
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
  approvers: PersonFacts[];
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

/** Reviews reduced to the people whose latest decisive review approves. */
async function approvers(input: ApplyFactsInput): Promise<PersonFacts[]> {
  if (!input.config.apply_requirements.approved.enabled) return [];
  const reviews = await input.provider.listReviews(input.pullRequest.number);
  const latest = new Map<string, string>();
  for (const review of reviews) {
    if (review.state === "commented" || review.state === "pending") continue;
    latest.set(review.author.toLowerCase(), review.state === "approved" ? review.author : "");
  }
  const logins = [...latest.values()].filter((login) => login !== "");
  return Promise.all(logins.map((login) => input.resolvePerson(login)));
}

export async function gatherApplyFacts(input: ApplyFactsInput): Promise<ApplyFacts> {
  const changed = input.dirspaces.filter((dirspace) => dirspace.changed);
  const requirements = input.config.apply_requirements;
  const [approved, statusChecks, plans, supersessions, locks] = await Promise.all([
    input.needRequirements ? approvers(input) : Promise.resolve([]),
    input.needRequirements && requirements.status_checks.enabled
      ? input.provider.listStatusChecks(input.pullRequest.headSha)
      : Promise.resolve([]),
    latestPlans(input.executor, input.pullRequestId, changed),
    latestSupersessions(input.executor, input.repositoryId, input.pullRequestId, changed),
    lockHolders(input.executor, input.repositoryId, changed),
  ]);
  return {
    approvers: approved,
    statusChecks,
    latestPlans: plans,
    supersessions,
    locksHeldByOthers: locks.filter((lock) => lock.pullRequestNumber !== input.pullRequest.number),
  };
}
