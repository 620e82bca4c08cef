// The drift issue's body: a table of the drifted (and failed) dirspaces and their plans, within the VCS's size limit.
import type { DirspaceRef } from "../domain/dirspace.ts";
import { type DriftCounts, type DriftStatus, driftLabel } from "../domain/drift.ts";
import { escapeCell, fitCodeBlock, planAsDiff } from "./markdown.ts";

/** Hidden marker of the drift issue's body. */
export const driftIssueMarker = "<!-- terragate:drift -->";

export interface DriftIssueRow extends DirspaceRef {
  status: DriftStatus;
  summary: DriftCounts | null;
  /** The plan's output (already redacted by the runner), or the failed step's, for the excerpt. */
  output: string;
  /** Why the run could not reconcile it, when it tried. */
  note: string | null;
  checkedAt: Date;
  runUrl: string | null;
  sha: string;
}

export interface DriftIssueInput {
  fullName: string;
  branch: string;
  /** Every dirspace's latest drift state; the issue shows the drifted and failed ones. */
  rows: DriftIssueRow[];
  /** The VCS's limit on an issue body, in characters. */
  limit: number;
  /** The VCS's word for a change request: "pull request" or "merge request". */
  changeRequest?: string;
}

/** Characters kept free below the limit (line endings the VCS may normalize). */
const safetyMargin = 64;
/** Smallest plan excerpt worth showing; below it the excerpts are left out. */
const minExcerpt = 600;

function dirspaceCell(row: DirspaceRef): string {
  return `\`${escapeCell(row.dir)}\` (${escapeCell(row.workspace)})`;
}

function tableRow(row: DriftIssueRow): string {
  const counts = row.summary;
  const when = row.checkedAt.toISOString().replace(/\.\d+Z$/, "Z");
  const run = row.runUrl ? ` · [run](${row.runUrl})` : "";
  const label = row.note
    ? `${driftLabel(row.status, counts)} — ${escapeCell(row.note)}`
    : driftLabel(row.status, counts);
  const figure = (n: number | undefined) => (n === undefined ? "" : String(n));
  return `| ${dirspaceCell(row)} | ${label} | ${figure(counts?.add)} | ${figure(counts?.change)} | ${figure(counts?.destroy)} | \`${row.sha.slice(0, 7)}\` ${when}${run} |`;
}

function planLine(output: string): string {
  const line = output.split("\n").find((text) => /^(Plan:|No changes\.|Error:)/.test(text.trim()));
  return line?.trim() ?? "";
}

function excerpt(row: DriftIssueRow, budget: number): string {
  const title = `<details><summary><code>${escapeCell(row.dir)}</code> (${escapeCell(row.workspace)}) — ${escapeCell(planLine(row.output) || driftLabel(row.status, row.summary))}</summary>\n\n`;
  const tail = "\n</details>";
  const room = budget - title.length - tail.length;
  const text = row.status === "failed" ? row.output : planAsDiff(row.output);
  const block = fitCodeBlock(text, room, row.status === "failed" ? "" : "diff", {
    headShare: row.status === "failed" ? 0.2 : 0.7,
    fullOutputHint: row.runUrl ?? undefined,
  });
  return `${title}${block}${tail}`;
}

/** The issue body for a repository with drift: the table first, then plan excerpts sharing what room is left. */
export function renderDriftIssue(input: DriftIssueInput): string {
  const shown = input.rows.filter((row) => row.status === "drifted" || row.status === "failed");
  const drifted = shown.filter((row) => row.status === "drifted");
  const failed = shown.length - drifted.length;
  const head = [
    driftIssueMarker,
    `### Drift in \`${input.fullName}\`: ${drifted.length} of ${input.rows.length} dirspace${input.rows.length === 1 ? "" : "s"} drifted${failed > 0 ? `, ${failed} failed` : ""}`,
    "",
    `The infrastructure no longer matches what \`${input.branch}\` describes: a scheduled plan of the default branch found the changes below. Terragate updates this issue after every drift run and closes it once everything is back in sync.`,
    "",
    "| dirspace | drift | add | change | destroy | checked |",
    "|---|---|---:|---:|---:|---|",
  ].join("\n");
  const foot = [
    "",
    `To bring a dirspace back in sync, change the code to match and apply it in a ${input.changeRequest ?? "pull request"}, or apply the default branch again (\`reconcile: true\` in \`drift\` does that on schedule where the access policy's \`reconcile\` list names \`app\`).`,
  ].join("\n");
  const budget = input.limit - safetyMargin;
  let body = head;
  let rowsShown = 0;
  for (const row of shown) {
    const line = `\n${tableRow(row)}`;
    const more = `\n| … ${shown.length - rowsShown} more dirspaces | | | | | |`;
    if (body.length + line.length + more.length + foot.length > budget) {
      body += more;
      break;
    }
    body += line;
    rowsShown++;
  }
  body += "\n";
  const excerptRows = shown.slice(0, rowsShown).filter((row) => row.output.trim() !== "");
  const room = budget - body.length - foot.length;
  const each = excerptRows.length === 0 ? 0 : Math.floor(room / excerptRows.length) - 2;
  if (each >= minExcerpt) {
    for (const row of excerptRows) body += `\n${excerpt(row, each)}\n`;
  }
  return `${body}${foot}`;
}

/** The body the issue is left with when it is closed. */
export function renderDriftResolved(fullName: string, branch: string, checked: number): string {
  return [
    driftIssueMarker,
    `### No drift in \`${fullName}\``,
    "",
    `The latest drift runs found all ${checked} checked dirspace${checked === 1 ? "" : "s"} of \`${branch}\` in sync, so Terragate closed this issue. It is reopened if drift comes back.`,
  ].join("\n");
}
