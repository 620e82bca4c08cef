// Check run name, conclusion, title (`+3 ~0 -0`), summary and output excerpt for one dirspace.
import type { VcsLimits } from "../vcs/platform.ts";
import type { CheckRunConclusion } from "../vcs/types.ts";
import { fitCodeBlock, planAsDiff } from "./markdown.ts";
import type { DirspaceReport, RunReport } from "./run-report.ts";
import { statusName } from "./status-names.ts";
import { truncateOutput } from "./truncate-output.ts";

export interface CheckRunOutput {
  name: string;
  conclusion: CheckRunConclusion;
  title: string;
  summary: string;
  text: string;
}

function conclusion(report: RunReport, dirspace: DirspaceReport): CheckRunConclusion {
  switch (dirspace.state) {
    case "success":
      return "success";
    case "failure":
      return "failure";
    case "aborted":
      return report.manifestState === "failed" ? "failure" : "cancelled";
    case "queued":
    case "running":
      // A finished run that never reported this dirspace: the run died.
      return "failure";
    default: {
      const never: never = dirspace.state;
      return never;
    }
  }
}

/** One dirspace's status, fitted to the VCS's summary and text limits. */
export function renderCheckRun(
  report: RunReport,
  dirspace: DirspaceReport,
  limits: Pick<VcsLimits, "statusSummary" | "statusText">,
  cr = "PR",
): CheckRunOutput {
  const s = dirspace.summary;
  const counts = s ? `+${s.add} ~${s.change} -${s.destroy}` : undefined;
  const failedStep = dirspace.steps.find((step) => !step.success);
  const state = conclusion(report, dirspace);
  const title =
    state === "success"
      ? (counts ?? (report.kind === "plan" ? "planned" : "applied"))
      : state === "cancelled"
        ? "not run"
        : failedStep
          ? `failed at ${failedStep.name}`
          : "failed";
  const reason = report.failureReason && state !== "success" ? `\n\n${report.failureReason}` : "";
  const next =
    state === "success"
      ? report.kind === "plan"
        ? `\n\nComment \`terragate apply\` on the ${cr} to apply this plan.`
        : ""
      : `\n\nComment \`terragate plan\` on the ${cr} to run it again.`;
  const summary = truncateOutput(
    `**${title}** for \`${dirspace.dir}\` (${dirspace.workspace})${reason}${next}`,
    limits.statusSummary,
    { headShare: 0.5, fullOutputHint: undefined },
  );
  const output = failedStep?.output ?? dirspace.steps.map((step) => step.output).join("\n\n");
  const hint = report.outputsUrl ? `\`GET ${report.outputsUrl}\`` : undefined;
  const shown = failedStep ? output : planAsDiff(output);
  const text = fitCodeBlock(shown, limits.statusText, "diff", {
    headShare: failedStep ? 0.25 : 0.6,
    fullOutputHint: hint,
  });
  return { name: statusName(report.kind, dirspace), conclusion: state, title, summary, text };
}
