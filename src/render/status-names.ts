// The names of Terragate's check runs and commit statuses: made here only, matched back through their external id.
import type { DirspaceRef } from "../domain/dirspace.ts";

export type StatusKind = "plan" | "apply" | "autoapprove" | "drift";

/** An autoapprove run is an apply as far as people are concerned. */
const shownKind = {
  plan: "plan",
  apply: "apply",
  autoapprove: "apply",
  drift: "drift",
} as const satisfies Record<StatusKind, string>;

/** `terragate plan: infra/a (default)`. */
export function statusName(kind: StatusKind, dirspace: DirspaceRef): string {
  return `terragate ${shownKind[kind]}: ${dirspace.dir} (${dirspace.workspace})`;
}

/** `terragate plan: 120 dirspaces`: one status for a manifest with more dirspaces than the VCS allows statuses. */
export function aggregateStatusName(kind: StatusKind, count: number): string {
  return `terragate ${shownKind[kind]}: ${count} dirspaces`;
}
