import { describe, expect, it } from "vitest";
import { type DriftIssueRow, renderDriftIssue, renderDriftResolved } from "./drift-issue.ts";

function row(index: number, overrides: Partial<DriftIssueRow> = {}): DriftIssueRow {
  return {
    dir: `infra/d${index}`,
    workspace: "default",
    status: "drifted",
    summary: { add: 1, change: 0, destroy: 2 },
    output: `  + resource "x" "y" {\n${"    long line of plan output\n".repeat(200)}  }\nPlan: 1 to add, 0 to change, 2 to destroy.`,
    note: null,
    checkedAt: new Date("2026-03-02T03:01:00Z"),
    runUrl: "https://github.com/acme/infra/actions/runs/9",
    sha: "a1b2c3d4e5f6",
    ...overrides,
  };
}

describe("renderDriftIssue", () => {
  it("lists drifted and failed dirspaces with their counts and plans, not those in sync", () => {
    const body = renderDriftIssue({
      fullName: "acme/infra",
      branch: "main",
      rows: [
        row(1),
        row(2, { status: "in_sync", summary: null }),
        row(3, { status: "failed", output: "Error: boom" }),
      ],
      limit: 65_536,
    });
    expect(body).toContain("### Drift in `acme/infra`: 1 of 3 dirspaces drifted, 1 failed");
    expect(body).toContain(
      "| `infra/d1` (default) | drifted (+1 ~0 −2) | 1 | 0 | 2 | `a1b2c3d` 2026-03-02T03:01:00Z",
    );
    expect(body).toContain("| `infra/d3` (default) | failed |");
    expect(body).not.toContain("infra/d2");
    expect(body).toContain("<code>infra/d1</code> (default) — Plan: 1 to add, 0 to change, 2 to destroy.");
    expect(body).toContain('+   resource "x" "y" {');
  });

  it("stays within the VCS's limit however many dirspaces drifted", () => {
    const rows = Array.from({ length: 3_000 }, (_, index) => row(index));
    const body = renderDriftIssue({ fullName: "acme/infra", branch: "main", rows, limit: 65_536 });
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body).toMatch(/\| … \d+ more dirspaces \|/);
    const few = renderDriftIssue({
      fullName: "acme/infra",
      branch: "main",
      rows: rows.slice(0, 4),
      limit: 10_000,
    });
    expect(few.length).toBeLessThanOrEqual(10_000);
    expect(few).toContain("cut here; the full output: https://github.com/acme/infra/actions/runs/9");
  });

  it("keeps a pipe or markup in a dir from breaking the table", () => {
    const body = renderDriftIssue({
      fullName: "acme/infra",
      branch: "main",
      rows: [row(1, { dir: "infra/a|b<script>" })],
      limit: 65_536,
    });
    expect(body).toContain("`infra/a\\|b&lt;script&gt;`");
  });
});

describe("renderDriftResolved", () => {
  it("says everything is back in sync", () => {
    expect(renderDriftResolved("acme/infra", "main", 3)).toContain(
      "all 3 checked dirspaces of `main` in sync",
    );
  });
});
