// `terragate config validate`: checks a checkout's repo config and shows the dirspaces it yields.
import { existsSync } from "node:fs";
import { type ChangeReason, describeChangeReason } from "../domain/change-reason.ts";
import type { Dirspace } from "../domain/dirspace.ts";
import { compareDirspaces, dirspaceKey, formatDirspace } from "../domain/dirspace.ts";
import { repoConfigPath } from "../domain/parse-repo-config.ts";
import type { Step } from "../domain/repo-config.ts";
import { computeLayers } from "../domain/stack-layers.ts";
import {
  evaluateCheckout,
  formatGraphProblem,
  formatIndexProblems,
  formatWarning,
  loadCheckout,
} from "./checkout.ts";

export { listRepoFiles } from "./checkout.ts";

export const usage = `Usage: terragate config validate [--repo DIR] [--changed FILE ...] [--json]

Reads DIR/${repoConfigPath} (DIR defaults to .; no file means all defaults), reports problems as
FILE:LINE:COL: KEY: MESSAGE and exits 1 (a cycle among stacks is one), or lists every dirspace
(dir × workspace) with its tags and workflow. With --changed, marks the dirspaces a pull request
changing those files (paths relative to DIR) would plan, why (its own files, or a module or included
file it uses), and the layers they are planned in. --json prints
{"dirspaces":[{"dir","workspace","tags","autoplan","changed","layer","reasons"}]}: layer is 1 for
the first layer (null when unchanged), reasons are lines such as "uses modules/network, changed".`;

interface ValidateOptions {
  repo: string;
  changed: string[];
  json: boolean;
}

type ParsedArgs = { ok: true; options: ValidateOptions } | { ok: false; message: string } | { ok: "help" };

export function parseValidateArgs(args: readonly string[]): ParsedArgs {
  const options: ValidateOptions = { repo: ".", changed: [], json: false };
  let collectingChanged = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--help" || arg === "-h") return { ok: "help" };
    if (arg === "--json") {
      options.json = true;
      collectingChanged = false;
    } else if (arg === "--repo" || arg.startsWith("--repo=")) {
      const value = arg === "--repo" ? args[++i] : arg.slice("--repo=".length);
      if (value === undefined || value === "") return { ok: false, message: "--repo needs a directory" };
      options.repo = value;
      collectingChanged = false;
    } else if (arg === "--changed") {
      collectingChanged = true;
    } else if (arg.startsWith("--changed=")) {
      options.changed.push(arg.slice("--changed=".length));
    } else if (collectingChanged && !arg.startsWith("--")) {
      options.changed.push(arg);
    } else {
      return { ok: false, message: `unexpected argument "${arg}"` };
    }
  }
  return { ok: true, options };
}

function describeStep(step: Step): string {
  switch (step.type) {
    case "init":
    case "plan":
    case "apply":
      return [step.type, ...step.extra_args].join(" ");
    case "run":
      return `run ${step.cmd.join(" ")}`;
    case "env":
      return `env ${step.name}`;
    default: {
      const unreachable: never = step;
      return unreachable;
    }
  }
}

function describeWorkflow(dirspace: Dirspace): string {
  const { workflow } = dirspace;
  const name = workflow.index === null ? "default" : `workflows[${workflow.index}]`;
  const plan = workflow.plan.map(describeStep).join(", ");
  const apply = workflow.apply.map(describeStep).join(", ");
  return `${name}: ${workflow.engine.name} (plan: ${plan}; apply: ${apply})`;
}

function planMark(dirspace: Dirspace): string {
  if (!dirspace.changed) return "";
  return dirspace.autoplan ? "plan" : "changed, autoplan off";
}

/** The human listing: one block per dirspace, and with --changed a plan column and a count. */
export function renderDirspaces(dirspaces: readonly Dirspace[], withChanged: boolean): string {
  if (dirspaces.length === 0) {
    return "No dirspaces: no directory holds *.tf, *.tofu or terragrunt.hcl outside the ignore patterns.";
  }
  const names = dirspaces.map(formatDirspace);
  const width = Math.max(...names.map((name) => name.length));
  const lines = dirspaces.map((dirspace, index) => {
    const mark = withChanged ? `${(planMark(dirspace) || "-").padEnd(21)}  ` : "";
    return `${mark}${names[index]!.padEnd(width)}  tags: ${dirspace.tags.join(" ")}\n${" ".repeat(
      mark.length + width + 2,
    )}workflow: ${describeWorkflow(dirspace)}`;
  });
  const dirs = new Set(dirspaces.map((dirspace) => dirspace.dir)).size;
  const header = `${dirspaces.length} dirspace${dirspaces.length === 1 ? "" : "s"} in ${dirs} dir${dirs === 1 ? "" : "s"}`;
  const planned = dirspaces.filter((dirspace) => dirspace.changed && dirspace.autoplan).length;
  const footer = withChanged
    ? `\n\n${planned} dirspace${planned === 1 ? "" : "s"} would be planned for these changes.`
    : "";
  return `${header}\n\n${lines.join("\n")}${footer}`;
}

/** Each changed dirspace's layer (1 = planned first) and the reasons it is changed, by dirspaceKey. */
export interface DirspaceNotes {
  layers: Map<string, number>;
  reasons: Map<string, ChangeReason[]>;
}

/** The --json document: dir, workspace, tags, autoplan, changed, layer and reasons, sorted. */
export function dirspacesJson(dirspaces: readonly Dirspace[], notes: DirspaceNotes): string {
  return JSON.stringify({
    dirspaces: dirspaces.map(({ dir, workspace, tags, autoplan, changed }) => {
      const key = dirspaceKey({ dir, workspace });
      return {
        dir,
        workspace,
        tags,
        autoplan,
        changed,
        layer: notes.layers.get(key) ?? null,
        reasons: (notes.reasons.get(key) ?? []).map(describeChangeReason),
      };
    }),
  });
}

/** The layers of the changed dirspaces, each with why it is included. */
export function renderLayers(dirspaces: readonly Dirspace[], notes: DirspaceNotes): string {
  const byLayer = new Map<number, Dirspace[]>();
  for (const dirspace of dirspaces) {
    const layer = notes.layers.get(dirspaceKey(dirspace));
    if (layer === undefined) continue;
    byLayer.set(layer, [...(byLayer.get(layer) ?? []), dirspace]);
  }
  const lines: string[] = [];
  for (const layer of [...byLayer.keys()].sort((a, b) => a - b)) {
    lines.push(
      layer === 1
        ? "Layer 1 (planned first):"
        : `Layer ${layer} (planned once layer ${layer - 1} is applied):`,
    );
    for (const dirspace of byLayer.get(layer)!) {
      const reasons = (notes.reasons.get(dirspaceKey(dirspace)) ?? []).map(describeChangeReason).join("; ");
      const off = dirspace.autoplan ? "" : " (autoplan off)";
      lines.push(`  ${formatDirspace(dirspace)}${off}: ${reasons}`);
    }
  }
  return lines.join("\n");
}

export async function main(args: string[]): Promise<number> {
  const parsed = parseValidateArgs(args);
  if (parsed.ok === "help") {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (!parsed.ok) {
    process.stderr.write(`terragate config validate: ${parsed.message}\n\n${usage}\n`);
    return 2;
  }
  const { repo, changed, json } = parsed.options;
  if (!existsSync(repo)) {
    process.stderr.write(
      `terragate config validate: ${repo}: no such directory; pass the checkout with --repo\n`,
    );
    return 2;
  }
  const loaded = loadCheckout(repo);
  if (!loaded.ok) {
    process.stderr.write(`${loaded.problems.join("\n")}\n`);
    return 1;
  }
  const { checkout } = loaded;
  if (checkout.configText === undefined && !json) {
    process.stderr.write(`note: ${checkout.configFile} not found; using the defaults\n`);
  }
  const { evaluation, graph } = evaluateCheckout(checkout, changed);
  const warnings = [
    ...evaluation.warnings.map((warning) => formatWarning(checkout, warning)),
    ...formatIndexProblems(checkout),
    ...(graph.ok ? graph.warnings : []).map((problem) => formatGraphProblem(checkout, problem)),
  ];
  for (const warning of warnings) process.stderr.write(`${warning}\n`);
  if (!graph.ok) {
    const problems = graph.problems.map((problem) => formatGraphProblem(checkout, problem));
    process.stderr.write(`${problems.join("\n")}\n`);
    return 1;
  }
  const dirspaces = [...evaluation.dirspaces].sort(compareDirspaces);
  const layered = computeLayers({
    graph: graph.graph,
    changed: dirspaces.filter((dirspace) => dirspace.changed),
    states: new Map(),
  });
  const notes: DirspaceNotes = { layers: new Map(), reasons: evaluation.reasons };
  for (const layer of layered.layers) {
    for (const entry of layer.dirspaces) notes.layers.set(dirspaceKey(entry.dirspace), layer.index + 1);
  }
  if (json) {
    process.stdout.write(`${dirspacesJson(dirspaces, notes)}\n`);
    return 0;
  }
  const listing = renderDirspaces(dirspaces, changed.length > 0);
  const layers = changed.length > 0 && notes.layers.size > 0 ? `\n\n${renderLayers(dirspaces, notes)}` : "";
  process.stdout.write(`${listing}${layers}\n`);
  return 0;
}
