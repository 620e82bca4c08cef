// The GitHub Actions job summary of a run: one table row per dirspace.
import type { RunOutcome } from "../src/runner/run-manifest.ts";

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/\r?\n/g, " ");
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
  return [
    `### Terragate ${outcome.manifest.kind} · \`${outcome.manifest.head.sha.slice(0, 7)}\``,
    "",
    "| dirspace | result | add | change | destroy |",
    "|---|---|---:|---:|---:|",
    ...rows,
    "",
    outcome.failed.length > 0 ? `Failed: ${outcome.failed.map(cell).join(", ")}` : "All dirspaces succeeded.",
    "",
  ].join("\n");
}
