// Access control and approval principals (`*`, `user:NAME`, `team:SLUG`, `role:LEVEL`) matched against known facts.
import type { DirspaceRef } from "../domain/dirspace.ts";
import { type AccessPolicy, accessPolicies, type RepoConfig } from "../domain/repo-config.ts";
import { evaluateTagQuery, parseTagQuery, type TagQuery } from "../domain/tag-query.ts";
import { type RepoRole, repoRoles } from "../vcs/types.ts";

/** What is known about a person: their repository role and which of the config's teams they belong to. */
export interface PersonFacts {
  login: string;
  role: RepoRole;
  /** Team slugs (lower case) among those the config names that this person is an active member of. */
  teams: ReadonlySet<string>;
}

export const accessActions = [
  "plan",
  "apply",
  "apply_force",
  "apply_autoapprove",
  "unlock",
  "config_update",
] as const;
export type AccessAction = (typeof accessActions)[number];

/** Which rule answered: the default policy (no access_control), a written policy, or none matched. */
export type PolicySource =
  | { kind: "default" }
  | { kind: "policy"; index: number; tagQuery: string }
  | { kind: "no_match" };

/** The tags access decisions see for a dirspace (computed with the default branch's config). */
export type AccessTagsOf = (dirspace: DirspaceRef) => readonly string[];

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

/** Whether a person may push to the repository (what GitHub asks of a reviewer whose approval counts). */
export function canWrite(person: PersonFacts): boolean {
  return roleRank(person.role) >= roleRank("write");
}

/** Team slugs named anywhere in access control or approval rules (so the caller can look them up). */
export function teamsNamedIn(config: RepoConfig): string[] {
  const principals = [
    ...accessPolicies(config).policies.flatMap((policy) => accessActions.flatMap((action) => policy[action])),
    ...config.apply_requirements.approved.any_of,
    ...config.apply_requirements.approved.all_of,
  ];
  const teams = principals
    .filter((principal) => principal.startsWith("team:"))
    .map((p) => p.slice(5).toLowerCase());
  return [...new Set(teams)];
}

interface CompiledPolicy {
  policy: AccessPolicy;
  query: TagQuery;
  source: PolicySource;
}

function compilePolicies(config: RepoConfig): CompiledPolicy[] {
  const { policies, isDefault } = accessPolicies(config);
  return policies.map((policy, index) => ({
    policy,
    query: parseTagQuery(policy.tag_query),
    source: isDefault ? { kind: "default" } : { kind: "policy", index, tagQuery: policy.tag_query },
  }));
}

/** The first policy whose tag query matches the tags, and where it comes from. */
function firstMatching(
  compiled: readonly CompiledPolicy[],
  tags: readonly string[],
): { policy: AccessPolicy | undefined; source: PolicySource } {
  const set = new Set(tags);
  const found = compiled.find((candidate) => evaluateTagQuery(candidate.query, set));
  return found ?? { policy: undefined, source: { kind: "no_match" } };
}

/** The first policy whose tag query matches the tags, and where it comes from. */
export function policyFor(config: RepoConfig, tags: readonly string[]) {
  return firstMatching(compilePolicies(config), tags);
}

export interface AccessDenial {
  dirspaces: DirspaceRef[];
  /** Who would have been allowed (the matching policy's list), empty when no policy matches. */
  allowed: string[];
  source: PolicySource;
}

/** Dirspaces the person may not run `action` on, grouped by the policy that refused them. */
export function accessDenials(
  config: RepoConfig,
  action: AccessAction,
  person: PersonFacts,
  dirspaces: readonly DirspaceRef[],
  tagsOf: AccessTagsOf,
): AccessDenial[] {
  const compiled = compilePolicies(config);
  const denials = new Map<string, AccessDenial>();
  for (const dirspace of dirspaces) {
    const { policy, source } = firstMatching(compiled, tagsOf(dirspace));
    const allowed = policy ? policy[action] : [];
    if (allowed.some((principal) => principalMatches(principal, person))) continue;
    const key = source.kind === "policy" ? `policy:${source.index}` : source.kind;
    const denial = denials.get(key) ?? { dirspaces: [], allowed, source };
    denial.dirspaces.push({ dir: dirspace.dir, workspace: dirspace.workspace });
    denials.set(key, denial);
  }
  return [...denials.values()];
}
