// Change counts of a plan from `terraform show -json` (resource_changes, output_changes).
import { z } from "zod";

const Change = z.looseObject({
  actions: z.array(z.string()),
  importing: z.unknown().optional(),
});

/** The part of terraform's JSON plan representation the summary reads; everything else is ignored. */
export const PlanJson = z.looseObject({
  resource_changes: z
    .array(
      z.looseObject({
        address: z.string().optional(),
        previous_address: z.string().optional(),
        change: Change,
      }),
    )
    .default([]),
  output_changes: z.record(z.string(), Change).default({}),
});
export type PlanJson = z.infer<typeof PlanJson>;

/** How many resources a plan adds, changes, destroys and imports; `has_changes` also counts outputs and moves. */
export interface PlanSummary {
  add: number;
  change: number;
  destroy: number;
  import: number;
  has_changes: boolean;
}

/** The plan JSON did not have the shape terraform writes. */
export class PlanSummaryError extends Error {
  override name = "PlanSummaryError";
}

/** Counts like terraform's "Plan: 1 to add, 0 to change, 0 to destroy." (a replacement adds and destroys). */
export function summarizePlan(planJson: unknown): PlanSummary {
  const parsed = PlanJson.safeParse(planJson);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PlanSummaryError(
      `not the output of \`terraform show -json\`: ${issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid"}`,
      { cause: parsed.error },
    );
  }
  const summary: PlanSummary = { add: 0, change: 0, destroy: 0, import: 0, has_changes: false };
  let otherChanges = false;
  for (const resource of parsed.data.resource_changes) {
    const actions = resource.change.actions;
    if (actions.includes("create")) summary.add++;
    if (actions.includes("delete")) summary.destroy++;
    if (actions.includes("update")) summary.change++;
    if (resource.change.importing !== undefined && resource.change.importing !== null) summary.import++;
    if (actions.includes("forget")) otherChanges = true;
    if (resource.previous_address !== undefined && resource.previous_address !== resource.address) {
      otherChanges = true;
    }
  }
  for (const output of Object.values(parsed.data.output_changes)) {
    if (output.actions.some((action) => action !== "no-op" && action !== "read")) otherChanges = true;
  }
  summary.has_changes = otherChanges || summary.add + summary.change + summary.destroy + summary.import > 0;
  return summary;
}

/** `+3 ~0 -1`, the check run title form. */
export function formatPlanSummary(summary: PlanSummary): string {
  const imported = summary.import > 0 ? ` ⇣${summary.import}` : "";
  return `+${summary.add} ~${summary.change} -${summary.destroy}${imported}`;
}
