// Access control and approval principals (`*`, `user:NAME`, `team:SLUG`, `role:LEVEL`) matched against known facts.
import type { Dirspace } from "../domain/dirspace.ts";
import type { AccessPolicy, RepoConfig } from "../domain/repo-config.ts";
import { evaluateTagQuery, parseTagQuery } from "../domain/tag-query.ts";
import { type RepoRole, repoRoles } from "../vcs/types.ts";

/** What is known about a person: their repository role and which of the config's teams they belong to. */
export interface PersonFacts {
  login: string;
  role: RepoRole;
  /** Team slugs (lower case) among those the config names that this person is an active member of. */
  teams: ReadonlySet<string>;
}

export type AccessAction = "plan" | "apply" | "apply_force" | "apply_autoapprove" | "unlock";

const roleRank = (role: string): number => repoRoles.indexOf(role as RepoRole);

/** Whether one principal matches a person. Unknown principal forms match nobody. */
export function principalMatches(principal: string, person: PersonFacts): boolean {
  if (principal === "*") return true;
  const [kind, ...rest] = principal.split(":");
  const value = rest.join(":");
  switch (kind) {
    case "user":
      return value.toLowerCase() === person.login.toLowerCase();
    case "team":
      return person.teams.has(value.toLowerCase());
    case "role": {
      const needed = roleRank(value);
      return needed > 0 && roleRank(person.role) >= needed;
    }
    default:
      return false;
  }
}

/** Team slugs named anywhere in access control or approval rules (so the caller can look them up). */
export function teamsNamedIn(config: RepoConfig): string[] {
  const principals = [
    ...config.access_control.policies.flatMap((policy) => [
      ...policy.plan,
      ...policy.apply,
      ...policy.apply_force,
      ...policy.apply_autoapprove,
      ...policy.unlock,
    ]),
    ...config.apply_requirements.approved.any_of,
    ...config.apply_requirements.approved.all_of,
  ];
  const teams = principals
    .filter((principal) => principal.startsWith("team:"))
    .map((p) => p.slice(5).toLowerCase());
  return [...new Set(teams)];
}

/** The first policy whose tag query matches the dirspace, or undefined. */
export function policyFor(config: RepoConfig, dirspace: Pick<Dirspace, "tags">): AccessPolicy | undefined {
  const tags = new Set(dirspace.tags);
  return config.access_control.policies.find((policy) =>
    evaluateTagQuery(parseTagQuery(policy.tag_query), tags),
  );
}

export interface AccessDenial {
  dirspaces: Dirspace[];
  /** Who would have been allowed (the matching policy's list), empty when no policy matches. */
  allowed: string[];
}

/** Dirspaces the person may not run `action` on, grouped by the policy list that refused them. */
export function accessDenials(
  config: RepoConfig,
  action: AccessAction,
  person: PersonFacts,
  dirspaces: Dirspace[],
): AccessDenial[] {
  const denials = new Map<string, AccessDenial>();
  for (const dirspace of dirspaces) {
    const policy = policyFor(config, dirspace);
    const allowed = policy ? policy[action] : [];
    if (allowed.some((principal) => principalMatches(principal, person))) continue;
    const key = allowed.join(",");
    const denial = denials.get(key) ?? { dirspaces: [], allowed };
    denial.dirspaces.push(dirspace);
    denials.set(key, denial);
  }
  return [...denials.values()];
}
