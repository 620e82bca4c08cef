// Change counts of a plan from `terraform show -json`: add, change, destroy, import, and whether anything changes.
import type { ChangeSummary } from "./protocol.ts";

interface PlanJson {
  resource_changes?: Array<{ change?: { actions?: string[]; importing?: unknown } }>;
  output_changes?: Record<string, { actions?: string[] }>;
}

export interface PlanSummary {
  summary: ChangeSummary;
  hasChanges: boolean;
}

/** Counts like terraform's own "Plan: N to add…" line: a replacement counts as one add and one destroy. */
export function summarizePlanJson(json: string): PlanSummary {
  const plan = JSON.parse(json) as PlanJson;
  const summary: ChangeSummary = { add: 0, change: 0, destroy: 0, import: 0 };
  let outputsChange = false;
  for (const resource of plan.resource_changes ?? []) {
    const actions = resource.change?.actions ?? [];
    if (resource.change?.importing !== undefined && resource.change.importing !== null) summary.import += 1;
    if (actions.includes("create")) summary.add += 1;
    if (actions.includes("delete")) summary.destroy += 1;
    if (actions.includes("update")) summary.change += 1;
  }
  for (const output of Object.values(plan.output_changes ?? {})) {
    const actions = output.actions ?? [];
    if (actions.some((action) => action !== "no-op")) outputsChange = true;
  }
  const hasChanges = summary.add + summary.change + summary.destroy + summary.import > 0 || outputsChange;
  return { summary, hasChanges };
}
