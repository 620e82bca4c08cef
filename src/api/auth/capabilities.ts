// The capabilities an API key can carry; each route names the one it needs.
import { z } from "zod";

export const capabilityValues = [
  "installation_read",
  "unlock",
  "kv_read",
  "kv_write",
  "access_token_create",
  "audit_read",
] as const;

export const Capability = z.enum(capabilityValues);
export type Capability = z.infer<typeof Capability>;

/** What each capability allows, for help texts and the API documentation. */
export const capabilityDescriptions: Record<Capability, string> = {
  installation_read: "read installations, repositories, pull requests, work manifests, dirspaces and locks",
  unlock: "release dirspace locks",
  kv_read: "read the installation's key-value store",
  kv_write: "write the installation's key-value store",
  access_token_create: "create, list and revoke API keys (never with more capabilities than its own)",
  audit_read: "read the installation's audit log",
};

/** Parses a list of capability names, throwing with the unknown ones and the valid choices. */
export function parseCapabilities(names: readonly string[]): Capability[] {
  const unknown = names.filter((name) => !Capability.safeParse(name).success);
  if (unknown.length > 0) {
    throw new Error(
      `unknown capability ${unknown.map((name) => JSON.stringify(name)).join(", ")}; expected one of ${capabilityValues.join(", ")}`,
    );
  }
  return [...new Set(names as Capability[])].sort();
}
