// The capabilities an API key can carry; each route names the one it needs. Unlocking is granted per repository.
import { z } from "zod";

/** Capabilities that apply to the whole installation. */
export const capabilityValues = [
  "installation_read",
  "kv_read",
  "kv_write",
  "access_token_create",
  "audit_read",
  "repos_refresh",
] as const;

export const Capability = z.enum(capabilityValues);
export type Capability = z.infer<typeof Capability>;

/**
 * Releasing locks is granted per repository, so that a key made for one team's tooling cannot
 * unlock another team's production: `unlock:acme/infra` (repeatable), or `unlock:*` for every
 * repository of the installation, written out on purpose. Repository names compare without case.
 */
export const UnlockGrant = z
  .string()
  .regex(/^unlock:(\*|[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+)$/, "expected unlock:OWNER/REPO or unlock:*")
  .transform((grant) => grant.toLowerCase() as `unlock:${string}`);
export type UnlockGrant = `unlock:${string}`;

/** What a key carries: installation-wide capabilities and per-repository unlock grants. */
export const Grant = z.union([Capability, UnlockGrant]);
export type Grant = Capability | UnlockGrant;

/** What each grant allows, for help texts and the API documentation. */
export const capabilityDescriptions: Record<Capability | "unlock:OWNER/REPO" | "unlock:*", string> = {
  installation_read: "read installations, repositories, pull requests, work manifests, dirspaces and locks",
  "unlock:OWNER/REPO": "release dirspace locks of that one repository (repeat for more)",
  "unlock:*": "release dirspace locks of every repository of the installation",
  kv_read: "read the installation's key-value store",
  kv_write: "write the installation's key-value store",
  access_token_create: "create, list and revoke API keys (never with more than its own grants)",
  audit_read: "read the installation's audit log",
  repos_refresh: "re-read the installation's repositories now (POST …/repos/refresh, audited)",
};

const grantChoices = `${capabilityValues.join(", ")}, unlock:OWNER/REPO, unlock:*`;

/** Parses grant names, throwing with the unknown ones and the valid choices. */
export function parseCapabilities(names: readonly string[]): Grant[] {
  const grants: Grant[] = [];
  const problems: string[] = [];
  for (const name of names) {
    const parsed = Grant.safeParse(name);
    if (parsed.success) grants.push(parsed.data);
    else if (name === "unlock") {
      problems.push(
        '"unlock" needs the repositories it may unlock: unlock:OWNER/REPO (repeat for more), or unlock:* for all of them',
      );
    } else problems.push(`unknown capability ${JSON.stringify(name)}`);
  }
  if (problems.length > 0) throw new Error(`${problems.join("; ")}; expected one of ${grantChoices}`);
  return [...new Set(grants)].sort();
}

/** Whether `grants` allow releasing locks in `repo`. */
export function mayUnlock(grants: readonly string[], repo: string): boolean {
  return grants.includes("unlock:*") || grants.includes(`unlock:${repo.toLowerCase()}`);
}

/** Whether a holder of `held` may hand out `grant` (exactly held, or a repository under a held `unlock:*`). */
export function holdsGrant(held: readonly string[], grant: Grant): boolean {
  return held.includes(grant) || (grant.startsWith("unlock:") && held.includes("unlock:*"));
}

/** The valid grants among stored ones (a key stored before a grant's rules changed keeps only what still parses). */
export function validGrants(stored: readonly string[]): Grant[] {
  return stored.flatMap((name) => {
    const parsed = Grant.safeParse(name);
    return parsed.success ? [parsed.data] : [];
  });
}
