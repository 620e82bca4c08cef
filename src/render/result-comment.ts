// The PR comment of a run: summary table, then each dirspace's output in <details>, split only when needed.
import type { ManifestKind } from "../runner/protocol.ts";
import { codeBlock, escapeCell, escapeHtml, planAsDiff } from "./markdown.ts";
import type { DirspaceReport, RunReport } from "./run-report.ts";
import { truncateOutput } from "./truncate-output.ts";

export interface RenderedComment {
  marker: string;
  body: string;
}

/** Smallest share of output a dirspace gets before the comment is split in parts instead. */
const MIN_OUTPUT_SHARE = 6_000;
/** Characters kept free below the limit (line endings GitHub may normalize). */
const SAFETY_MARGIN = 64;

const markerKind: Record<ManifestKind, "plan" | "apply" | "drift"> = {
  plan: "plan",
  apply: "apply",
  autoapprove: "apply",
  drift: "drift",
};
const title: Record<ManifestKind, string> = {
  plan: "plan",
  apply: "apply",
  autoapprove: "apply (auto-approved)",
  drift: "drift check",
};

/** Hidden marker that finds this PR's comment for one kind of run (part 1 carries the plain marker). */
export function commentMarker(kind: ManifestKind, prNumber: number, part = 1): string {
  const base = `terragate:${markerKind[kind]}:pr-${prNumber}`;
  return part === 1 ? `<!-- ${base} -->` : `<!-- ${base}:part-${part} -->`;
}

function resultCell(report: RunReport, dirspace: DirspaceReport): string {
  switch (dirspace.state) {
    case "success":
      if (report.kind === "plan") return dirspace.hasChanges ? "✅ changes" : "✅ no changes";
      return dirspace.hasChanges === false ? "✅ no changes" : "✅ applied";
    case "failure":
      return "❌ failed";
    case "aborted":
      return "⏹️ not run";
    case "queued":
    case "running":
      return "⏳ pending";
    default: {
      const never: never = dirspace.state;
      return String(never);
    }
  }
}

function summaryLine(report: RunReport, dirspace: DirspaceReport): string {
  if (dirspace.state === "failure") {
    const failed = dirspace.steps.find((step) => !step.success);
    return failed ? `failed at ${failed.name}` : "failed";
  }
  if (dirspace.state === "aborted") return "not run";
  const s = dirspace.summary;
  if (!s) return report.kind === "plan" ? "planned" : "applied";
  if (report.kind === "plan") {
    return dirspace.hasChanges === false
      ? "No changes."
      : `Plan: ${s.add} to add, ${s.change} to change, ${s.destroy} to destroy.`;
  }
  return `Apply: ${s.add} added, ${s.change} changed, ${s.destroy} destroyed.`;
}

/** The output worth showing: the failed step's (tail first in mind), else the plan/apply steps'. */
function shownOutput(dirspace: DirspaceReport): { text: string; failed: boolean } {
  const failed = dirspace.steps.find((step) => !step.success);
  if (failed) return { text: failed.output, failed: true };
  const main = dirspace.steps.filter((step) => step.name === "plan" || step.name === "apply");
  const chosen = main.length > 0 ? main : dirspace.steps.slice(-1);
  return { text: chosen.map((step) => step.output).join("\n\n"), failed: false };
}

function detailsBlock(report: RunReport, dirspace: DirspaceReport, content: string, failed: boolean): string {
  const label = `<code>${escapeHtml(dirspace.dir)}</code> (${escapeHtml(dirspace.workspace)})`;
  const open = failed ? " open" : "";
  const icon = dirspace.state === "failure" ? "❌ " : "";
  return `<details${open}><summary>${icon}${label} — ${escapeHtml(summaryLine(report, dirspace))}</summary>\n\n${codeBlock(content, "diff")}\n</details>`;
}

function header(report: RunReport, part: number, parts: number): string {
  const sha = `\`${report.headSha.slice(0, 7)}\``;
  if (part > 1) return `### Terragate ${title[report.kind]} (part ${part} of ${parts}) · ${sha}`;
  const total = report.dirspaces.length;
  const changed = report.dirspaces.filter((d) => d.state === "success" && d.hasChanges).length;
  const failed = report.dirspaces.filter((d) => d.state === "failure").length;
  const counts = [
    `${total} dirspace${total === 1 ? "" : "s"}`,
    report.kind === "plan" ? `${changed} with changes` : `${changed} applied`,
    ...(failed > 0 ? [`${failed} failed`] : []),
  ];
  return `### Terragate ${title[report.kind]} — ${counts.join(", ")} · ${sha}`;
}

function table(report: RunReport, dirspaces: DirspaceReport[]): string {
  const rows = dirspaces.map((d) => {
    const s = d.summary;
    const n = (value: number | undefined) => (value === undefined ? "–" : String(value));
    return `| \`${escapeCell(d.dir)}\` (${escapeCell(d.workspace)}) | ${resultCell(report, d)} | ${n(s?.add)} | ${n(s?.change)} | ${n(s?.destroy)} |`;
  });
  return ["| dirspace | result | add | change | destroy |", "|---|---|---:|---:|---:|", ...rows].join("\n");
}

function footer(report: RunReport): string {
  const next =
    report.manifestState === "completed"
      ? report.kind === "plan"
        ? "Apply with `terragate apply`"
        : "Applied"
      : report.kind === "plan"
        ? "Fix the errors and comment `terragate plan` to run again"
        : "Comment `terragate plan`, then `terragate apply`, to try again";
  const run = report.runUrl ? ` · [run](${report.runUrl})` : "";
  return `${next}${run} · requested by @${report.requestedBy}`;
}

function problem(report: RunReport): string | undefined {
  if (report.manifestState === "completed" || !report.failureReason) return undefined;
  const icon = report.manifestState === "aborted" ? ":information_source:" : ":warning:";
  return `${icon} ${escapeHtml(report.failureReason)}`;
}

/** Gives each size at most itself, sharing `capacity` so the smallest needs are met first. */
function allocate(sizes: number[], capacity: number): number[] {
  const order = sizes.map((size, index) => ({ size, index })).sort((a, b) => a.size - b.size);
  const result = new Array<number>(sizes.length).fill(0);
  let remaining = Math.max(0, capacity);
  order.forEach(({ size, index }, position) => {
    const share = Math.floor(remaining / (order.length - position));
    const given = Math.min(size, share);
    result[index] = given;
    remaining -= given;
  });
  return result;
}

interface Item {
  dirspace: DirspaceReport;
  text: string;
  failed: boolean;
  overhead: number;
}

/**
 * Renders the run's comment(s) within `limit` characters each. Everything goes in one comment when
 * every dirspace can keep at least MIN_OUTPUT_SHARE characters of output; otherwise further parts follow.
 */
export function renderResultComments(report: RunReport, limit: number): RenderedComment[] {
  const budget = limit - SAFETY_MARGIN;
  const ordered = [
    ...report.dirspaces.filter((d) => d.state === "failure"),
    ...report.dirspaces.filter((d) => d.state !== "failure"),
  ];
  const items: Item[] = ordered.map((dirspace) => {
    const { text, failed } = shownOutput(dirspace);
    const shown = failed ? text : planAsDiff(text);
    // The overhead allows for a longer fence than the content may end up needing.
    return {
      dirspace,
      text: shown,
      failed,
      overhead: detailsBlock(report, dirspace, "", failed).length + 16,
    };
  });
  const firstFixed = (parts: number) =>
    [
      commentMarker(report.kind, report.prNumber),
      header(report, 1, parts),
      problem(report),
      table(report, ordered),
      report.notes,
      footer(report),
    ]
      .filter(Boolean)
      .join("\n\n").length + 8;
  const laterFixed = (part: number, parts: number) =>
    `${commentMarker(report.kind, report.prNumber, part)}\n${header(report, part, parts)}\n\n`.length + 8;

  // Pack dirspaces into parts; a part is closed when the next dirspace could not keep its minimum share.
  const packs: Item[][] = [[]];
  let used = firstFixed(9);
  for (const item of items) {
    const cost = item.overhead + Math.min(item.text.length, MIN_OUTPUT_SHARE) + 2;
    const current = packs.at(-1)!;
    if (current.length > 0 && used + cost > budget) {
      packs.push([item]);
      used = laterFixed(packs.length, 99) + cost;
    } else {
      current.push(item);
      used += cost;
    }
  }
  const parts = packs.length;
  return packs.map((pack, index) => {
    const part = index + 1;
    const fixed = part === 1 ? firstFixed(parts) : laterFixed(part, parts);
    const room = budget - fixed - pack.reduce((sum, item) => sum + item.overhead + 2, 0);
    const shares = allocate(
      pack.map((item) => item.text.length),
      room,
    );
    const blocks = pack.map((item, position) => {
      const content = truncateOutput(item.text, shares[position]!, {
        headShare: item.failed ? 0.25 : 0.6,
        fullOutputHint: report.outputsUrl ? `\`GET ${report.outputsUrl}\`` : undefined,
      });
      return detailsBlock(report, item.dirspace, content, item.failed);
    });
    const marker = commentMarker(report.kind, report.prNumber, part);
    const body =
      part === 1
        ? [
            marker,
            header(report, 1, parts),
            problem(report),
            table(report, ordered),
            report.notes,
            ...blocks,
            footer(report),
          ]
        : [marker, header(report, part, parts), ...blocks];
    const text = body.filter((line): line is string => Boolean(line)).join("\n\n");
    return { marker, body: text };
  });
}
