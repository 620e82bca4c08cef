// Plan summaries from terraform's JSON plan: creates, updates, deletes, replacements, imports, outputs.
import { describe, expect, it } from "vitest";
import { formatPlanSummary, PlanSummaryError, summarizePlan } from "./plan-summary.ts";

const resource = (actions: string[], extra: Record<string, unknown> = {}) => ({
  address: "terraform_data.x",
  change: { actions, ...extra },
});

describe("summarizePlan", () => {
  it.each([
    ["no changes", { resource_changes: [resource(["no-op"]), resource(["read"])] }, [0, 0, 0, 0, false]],
    ["empty plan", { format_version: "1.2" }, [0, 0, 0, 0, false]],
    ["create", { resource_changes: [resource(["create"]), resource(["create"])] }, [2, 0, 0, 0, true]],
    ["update", { resource_changes: [resource(["update"])] }, [0, 1, 0, 0, true]],
    ["delete", { resource_changes: [resource(["delete"])] }, [0, 0, 1, 0, true]],
    [
      "replace",
      { resource_changes: [resource(["delete", "create"]), resource(["create", "delete"])] },
      [2, 0, 2, 0, true],
    ],
    ["import", { resource_changes: [resource(["no-op"], { importing: { id: "i-1" } })] }, [0, 0, 0, 1, true]],
    ["output only", { output_changes: { ip: { actions: ["update"] } } }, [0, 0, 0, 0, true]],
    ["unchanged output", { output_changes: { ip: { actions: ["no-op"] } } }, [0, 0, 0, 0, false]],
    [
      "moved",
      { resource_changes: [{ address: "a.new", previous_address: "a.old", change: { actions: ["no-op"] } }] },
      [0, 0, 0, 0, true],
    ],
  ] as const)("%s", (_name, plan, [add, change, destroy, imported, hasChanges]) => {
    expect(summarizePlan(plan)).toEqual({ add, change, destroy, import: imported, has_changes: hasChanges });
  });

  it("rejects JSON that is not a plan", () => {
    expect(() => summarizePlan({ resource_changes: [{ change: {} }] })).toThrow(PlanSummaryError);
    expect(() => summarizePlan("nope")).toThrow("not the output of `terraform show -json`");
  });

  it("formats a check run title", () => {
    expect(formatPlanSummary({ add: 3, change: 0, destroy: 1, import: 0, has_changes: true })).toBe(
      "+3 ~0 -1",
    );
  });
});
