// The GitHub Actions job summary of a run: one table row per dirspace.
import type { DirspaceResult } from "../src/runner/protocol.ts";
import type { RunOutcome } from "../src/runner/run-manifest.ts";

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/\r?\n/g, " ");
}

/** GitHub keeps at most 1 MiB of a step's summary; leave room for the table. */
const undeliveredBudget = 900 * 1024;

/** Each dirspace's steps with their output, for when this summary is the only record of the run. */
function undeliveredDetails(results: DirspaceResult[]): string[] {
  const share = Math.floor(undeliveredBudget / Math.max(1, results.length));
  return results.map((result) => {
    const text = result.steps
      .map(
        (step) =>
          `── ${step.name}: ${step.success ? "ok" : `failed (exit code ${step.exit_code ?? "none"})`}\n${step.output}`,
      )
      .join("\n");
    const shown =
      text.length <= share ? text : `${text.slice(0, share / 2)}\n… cut …\n${text.slice(-share / 2)}`;
    const fence = "`".repeat(Math.max(3, ...[...shown.matchAll(/`+/g)].map((m) => m[0].length + 1)));
    return `<details><summary><code>${cell(result.dir)}</code> (${cell(result.workspace)})</summary>\n\n${fence}\n${shown}\n${fence}\n</details>`;
  });
}

export function jobSummary(outcome: RunOutcome): string {
  if (outcome.type === "done") return `### Terragate\n\nNothing to run: ${cell(outcome.reason)}\n`;
  const rows = outcome.results.map((result) => {
    const s = result.summary;
    const failed = result.steps.find((step) => !step.success);
    const status = result.success ? "✅ success" : `❌ failed at ${cell(failed?.name ?? "start")}`;
    const counts = s ? `${s.add} | ${s.change} | ${s.destroy}` : "– | – | –";
    return `| \`${cell(result.dir)}\` (${cell(result.workspace)}) | ${status} | ${counts} |`;
  });
  const warning = outcome.undelivered
    ? [
        `> [!WARNING]`,
        `> **These results never reached the Terragate server** (${cell(outcome.undelivered)}). This summary is their only record: the PR will show the run as failed${outcome.manifest.kind === "plan" ? "" : ", and a dirspace whose apply started keeps its lock"}.`,
        "",
      ]
    : [];
  return [
    `### Terragate ${outcome.manifest.kind} · \`${outcome.manifest.head.sha.slice(0, 7)}\``,
    "",
    ...warning,
    "| dirspace | result | add | change | destroy |",
    "|---|---|---:|---:|---:|",
    ...rows,
    "",
    outcome.failed.length > 0 ? `Failed: ${outcome.failed.map(cell).join(", ")}` : "All dirspaces succeeded.",
    "",
    ...(outcome.undelivered ? [...undeliveredDetails(outcome.results), ""] : []),
  ].join("\n");
}
