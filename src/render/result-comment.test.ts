import { describe, expect, it } from "vitest";
import { platforms } from "../vcs/registry.ts";
import { renderCheckRun } from "./check-run-output.ts";
import { commentMarker, renderResultComments } from "./result-comment.ts";
import type { DirspaceReport, RunReport } from "./run-report.ts";

const github = platforms.github.limits;

const planText = `terraform_data.r0: Refreshing state...

Terraform will perform the following actions:

  # terraform_data.r0 will be created
  + resource "terraform_data" "r0" {
      + id     = (known after apply)
      + input  = "a-0"
    }

Plan: 3 to add, 0 to change, 0 to destroy.`;

function dirspace(dir: string, overrides: Partial<DirspaceReport> = {}): DirspaceReport {
  return {
    dir,
    workspace: "default",
    state: "success",
    hasChanges: true,
    summary: { add: 3, change: 0, destroy: 0, import: 0 },
    steps: [
      { name: "init", success: true, exit_code: 0, output: "Terraform has been successfully initialized!" },
      { name: "plan", success: true, exit_code: 0, output: planText },
    ],
    ...overrides,
  };
}

function report(dirspaces: DirspaceReport[], overrides: Partial<RunReport> = {}): RunReport {
  return {
    kind: "plan",
    prNumber: 42,
    headSha: "a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0",
    runUrl: "https://github.com/acme/infra/actions/runs/123",
    requestedBy: "alice",
    manifestState: "completed",
    failureReason: null,
    outputsUrl: "https://terragate.example.com/api/v1/github/installations/7/work-manifests/wm-1/outputs",
    dirspaces,
    ...overrides,
  };
}

function bigOutput(chars: number, label: string): string {
  const lines: string[] = [];
  let size = 0;
  for (let index = 0; size < chars; index++) {
    const line = `  + resource "terraform_data" "${label}_${index}" { input = "${"x".repeat(40)}" }`;
    lines.push(line);
    size += line.length + 1;
  }
  return `${label} FIRST LINE\n${lines.join("\n")}\n${label} LAST LINE`;
}

describe("result comment", () => {
  it("renders a summary table and each dirspace's plan as a diff", () => {
    const [comment, ...rest] = renderResultComments(
      report([
        dirspace("infra/a"),
        dirspace("infra/b", {
          workspace: "prod",
          hasChanges: false,
          summary: { add: 0, change: 0, destroy: 0, import: 0 },
          steps: [{ name: "plan", success: true, exit_code: 0, output: "No changes." }],
        }),
      ]),
      github.comment,
    );
    expect(rest).toEqual([]);
    expect(comment!.marker).toBe("<!-- terragate:plan:pr-42 -->");
    expect(comment!.body).toMatchSnapshot();
  });

  it("puts failed dirspaces first, open, with the error", () => {
    const [comment] = renderResultComments(
      report(
        [
          dirspace("infra/a"),
          dirspace("infra/broken", {
            state: "failure",
            summary: null,
            hasChanges: null,
            steps: [
              {
                name: "plan",
                success: false,
                exit_code: 1,
                output: "Error: Reference to undeclared resource",
              },
            ],
          }),
        ],
        { manifestState: "failed", failureReason: "failed: infra/broken (default)" },
      ),
      github.comment,
    );
    const body = comment!.body;
    expect(body.indexOf("<details open><summary>❌ <code>infra/broken</code>")).toBeGreaterThan(0);
    expect(body.indexOf("infra/broken</code>")).toBeLessThan(body.indexOf("<code>infra/a</code>"));
    expect(body).toContain("Error: Reference to undeclared resource");
    expect(body).toContain("| `infra/broken` (default) | ❌ failed | – | – | – |");
    expect(body).toContain("comment `terragate plan` to run again");
  });

  it("keeps a 1 MB plan within GitHub's limit with its head, tail and where the rest is", () => {
    const output = bigOutput(1024 * 1024, "huge");
    const comments = renderResultComments(
      report([dirspace("infra/a", { steps: [{ name: "plan", success: true, exit_code: 0, output }] })]),
      github.comment,
    );
    expect(comments).toHaveLength(1);
    const body = comments[0]!.body;
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body.length).toBeGreaterThan(60_000);
    expect(body).toContain("huge FIRST LINE");
    expect(body).toContain("huge LAST LINE");
    expect(body).toMatch(
      /… [\d,]+ lines \([\d,]+ characters\) cut here; the full output: `GET https:\/\/terragate/,
    );
  });

  it("splits into several comments only when every dirspace could not keep a useful share", () => {
    const many = Array.from({ length: 30 }, (_, index) =>
      dirspace(`infra/d${index}`, {
        steps: [{ name: "plan", success: true, exit_code: 0, output: bigOutput(100_000, `d${index}`) }],
      }),
    );
    const comments = renderResultComments(report(many), github.comment);
    expect(comments.length).toBeGreaterThan(1);
    expect(comments.map((c) => c.marker)).toEqual(
      comments.map((_, index) => commentMarker("plan", 42, index + 1)),
    );
    for (const comment of comments) {
      expect(comment.body.length).toBeLessThanOrEqual(65_536);
      expect(comment.body.startsWith(comment.marker)).toBe(true);
    }
    const all = comments.map((c) => c.body).join("\n");
    for (let index = 0; index < 30; index++) {
      expect(all).toContain(`d${index} FIRST LINE`);
      expect(all).toContain(`d${index} LAST LINE`);
    }
    // A few small dirspaces share one comment.
    expect(renderResultComments(report(many.slice(0, 3)), github.comment)).toHaveLength(1);
  });

  it("cannot be broken out of by backticks in the output", () => {
    const [comment] = renderResultComments(
      report([
        dirspace("infra/a", {
          steps: [{ name: "plan", success: true, exit_code: 0, output: "```\n# Injected" }],
        }),
      ]),
      github.comment,
    );
    expect(comment!.body).toContain("````diff\n```\n# Injected\n````");
  });
});

describe("check run output", () => {
  it("titles a plan with its counts and keeps a 1 MB output within the check run limit", () => {
    const output = bigOutput(1024 * 1024, "huge");
    const check = renderCheckRun(
      report([]),
      dirspace("infra/a", { steps: [{ name: "plan", success: true, exit_code: 0, output }] }),
      github,
    );
    expect(check.name).toBe("terragate plan: infra/a (default)");
    expect(check.title).toBe("+3 ~0 -0");
    expect(check.conclusion).toBe("success");
    expect(check.text.length).toBeLessThanOrEqual(github.statusText);
    // The budget is used, not thrown away, and the tail and closing fence survive.
    expect(check.text.length).toBeGreaterThan(github.statusText - 200);
    expect(check.text.startsWith("```diff\nhuge FIRST LINE\n")).toBe(true);
    expect(check.text.endsWith("\nhuge LAST LINE\n```")).toBe(true);
  });

  it.each([1, 20, 70_000])(
    "keeps the fence intact at 1 MB when the output holds a run of %i backticks",
    (ticks) => {
      const output = `${"`".repeat(ticks)}\n${bigOutput(1024 * 1024, "ticks")}`;
      const check = renderCheckRun(
        report([]),
        dirspace("infra/a", { steps: [{ name: "plan", success: true, exit_code: 0, output }] }),
        github,
      );
      // Runs longer than 31 backticks are split, so the fence stays short and cannot be closed early.
      const fence = "`".repeat(Math.min(32, Math.max(3, ticks + 1)));
      expect(check.text.length).toBeLessThanOrEqual(github.statusText);
      expect(check.text.startsWith(`${fence}diff\n`)).toBe(true);
      expect(check.text.endsWith(`\nticks LAST LINE\n${fence}`)).toBe(true);
      expect(check.text.slice(fence.length, -fence.length)).not.toContain(fence);
    },
  );

  it("concludes a dirspace of a dead run as failure with the reason", () => {
    const check = renderCheckRun(
      report([], {
        manifestState: "failed",
        failureReason: "the run stopped reporting (timed out after 180 minutes)",
      }),
      dirspace("infra/a", { state: "aborted", steps: [], summary: null }),
      github,
    );
    expect(check.conclusion).toBe("failure");
    expect(check.summary).toContain("timed out after 180 minutes");
  });
});
