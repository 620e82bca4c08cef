import { describe, expect, it } from "vitest";
import { type DriftDirspaceResult, driftLabel, driftStatus, reconcileAllowed } from "./drift.ts";

const plan = { name: "plan", success: true };
const counts = { add: 1, change: 2, destroy: 3 };

function result(overrides: Partial<DriftDirspaceResult>): DriftDirspaceResult {
  return {
    state: "success",
    hasChanges: false,
    summary: null,
    steps: [{ name: "init", success: true }, plan],
    ...overrides,
  };
}

describe("driftStatus", () => {
  it("tells in sync, drifted, reconciled and failed apart", () => {
    expect(driftStatus(result({}))).toBe("in_sync");
    expect(driftStatus(result({ hasChanges: true, summary: counts }))).toBe("drifted");
    expect(
      driftStatus(
        result({
          hasChanges: true,
          steps: [plan, { name: "init", success: true }, { name: "apply", success: true }],
        }),
      ),
    ).toBe("reconciled");
    expect(
      driftStatus(result({ state: "failure", hasChanges: null, steps: [{ name: "plan", success: false }] })),
    ).toBe("failed");
    expect(driftStatus(result({ state: "aborted", hasChanges: null, steps: [] }))).toBe("failed");
  });

  it("keeps a dirspace drifted when its reconcile was refused after the plan", () => {
    const refused = result({
      state: "failure",
      hasChanges: true,
      steps: [plan, { name: "init", success: true }, { name: "apply", success: false }],
    });
    expect(driftStatus(refused)).toBe("drifted");
  });
});

describe("driftLabel", () => {
  it("shows the plan's counts", () => {
    expect(driftLabel("drifted", counts)).toBe("drifted (+1 ~2 −3)");
    expect(driftLabel("in_sync", null)).toBe("in sync");
    expect(driftLabel("failed", null)).toBe("failed");
  });
});

describe("reconcileAllowed", () => {
  it("needs an explicit app (or *) in the policy's reconcile list", () => {
    expect(reconcileAllowed(undefined)).toBe(false);
    expect(reconcileAllowed({ reconcile: [] })).toBe(false);
    expect(reconcileAllowed({ reconcile: ["app"] })).toBe(true);
    expect(reconcileAllowed({ reconcile: ["*"] })).toBe(true);
  });
});
