// Drift in plain values: whether a dirspace may be reconciled, and what a drift run found for each dirspace.
import type { AccessPolicy } from "./repo-config.ts";

/** Scheduled drift acts as the app: a policy lets it reconcile only by naming `app` (or `*`) in `reconcile`. */
export function reconcileAllowed(policy: Pick<AccessPolicy, "reconcile"> | undefined): boolean {
  return (policy?.reconcile ?? []).some((principal) => principal === "app" || principal === "*");
}

export const driftStatuses = ["in_sync", "drifted", "reconciled", "failed"] as const;
export type DriftStatus = (typeof driftStatuses)[number];

export interface DriftCounts {
  add: number;
  change: number;
  destroy: number;
}

/** What a drift run stored for one dirspace (the columns of work_manifest_dirspaces it reads). */
export interface DriftDirspaceResult {
  state: "queued" | "running" | "success" | "failure" | "aborted";
  hasChanges: boolean | null;
  summary: DriftCounts | null;
  steps: ReadonlyArray<{ name: string; success: boolean }>;
}

function planSucceeded(result: DriftDirspaceResult): boolean {
  return result.steps.some((step) => step.name === "plan" && step.success);
}

/**
 * In sync: the plan found nothing to change. Drifted: it found changes (also when the reconcile
 * after it was refused or failed: the drift is still there). Reconciled: found and applied. Failed:
 * no plan to judge by (the plan failed, or the run died first).
 */
export function driftStatus(result: DriftDirspaceResult): DriftStatus {
  if (result.state === "success") {
    if (result.hasChanges === false) return "in_sync";
    const applied = result.steps.some((step) => step.name === "apply" && step.success);
    return applied ? "reconciled" : "drifted";
  }
  if (result.state === "failure" && planSucceeded(result)) {
    return result.hasChanges === false ? "in_sync" : "drifted";
  }
  return "failed";
}

/** `in sync`, `drifted (+1 ~0 −2)`, `reconciled (+1 ~0 −0)` or `failed`. */
export function driftLabel(status: DriftStatus, counts: DriftCounts | null): string {
  const figures = counts ? ` (+${counts.add} ~${counts.change} −${counts.destroy})` : "";
  switch (status) {
    case "in_sync":
      return "in sync";
    case "drifted":
      return `drifted${figures}`;
    case "reconciled":
      return `reconciled${figures}`;
    case "failed":
      return "failed";
    default: {
      const never: never = status;
      return String(never);
    }
  }
}

/** The title of the one issue Terragate keeps per drifted repository. */
export function driftIssueTitle(fullName: string): string {
  return `Terragate: drift in ${fullName}`;
}
