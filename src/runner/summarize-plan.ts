// Change counts of a plan from `terraform show -json` text, through the domain's plan summary.
import { summarizePlan } from "../domain/plan-summary.ts";
import type { ChangeSummary } from "./protocol.ts";

export interface PlanSummary {
  summary: ChangeSummary;
  hasChanges: boolean;
}

/** Parses the JSON text and counts like terraform's own "Plan: N to add…" line. */
export function summarizePlanJson(json: string): PlanSummary {
  const counted = summarizePlan(JSON.parse(json));
  return {
    summary: { add: counted.add, change: counted.change, destroy: counted.destroy, import: counted.import },
    hasChanges: counted.has_changes,
  };
}
