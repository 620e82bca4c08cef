// `terragate config validate`: checks a checkout's repo config and shows the dirspaces it yields.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import type { Dirspace } from "../domain/dirspace.ts";
import { compareDirspaces, formatDirspace } from "../domain/dirspace.ts";
import type { ConfigWarning } from "../domain/discover.ts";
import { evaluateRepo } from "../domain/match.ts";
import {
  formatConfigProblem,
  formatKeyPath,
  locateConfigKey,
  parseRepoConfig,
  repoConfigPath,
} from "../domain/parse-repo-config.ts";
import { defaultRepoConfig, type RepoConfig, type Step } from "../domain/repo-config.ts";

export const usage = `Usage: terragate config validate [--repo DIR] [--changed FILE ...] [--json]

Reads DIR/${repoConfigPath} (DIR defaults to .; no file means all defaults), reports problems as
FILE:LINE:COL: KEY: MESSAGE and exits 1, or lists every dirspace (dir × workspace) with its tags and
workflow. With --changed, marks the dirspaces a pull request changing those files (paths relative
to DIR) would plan. --json prints {"dirspaces":[{"dir","workspace","tags","autoplan","changed"}]}.`;

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

const skippedDirs = new Set([".git", ".terraform", "node_modules"]);

/** Every file under `root`, repository-relative with `/`, without .git, .terraform and node_modules. */
export function listRepoFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!skippedDirs.has(entry.name)) walk(path);
      } else if (entry.isFile()) {
        files.push(relative(root, path).split(sep).join("/"));
      }
    }
  };
  walk(root);
  return files;
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

/** The --json document: exactly dir, workspace, tags, autoplan and changed, sorted. */
export function dirspacesJson(dirspaces: readonly Dirspace[]): string {
  return JSON.stringify({
    dirspaces: dirspaces.map(({ dir, workspace, tags, autoplan, changed }) => ({
      dir,
      workspace,
      tags,
      autoplan,
      changed,
    })),
  });
}

function formatWarning(file: string, text: string | undefined, warning: ConfigWarning): string {
  if (warning.path.length === 0 || text === undefined) return `warning: ${warning.message}`;
  const { line, column } = locateConfigKey(text, warning.path);
  return `${file}:${line}:${column}: warning: ${formatKeyPath(warning.path)}: ${warning.message}`;
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
  const configFile = join(repo, repoConfigPath).split(sep).join("/");
  const text = existsSync(configFile) ? readFileSync(configFile, "utf8") : undefined;
  let config: RepoConfig = defaultRepoConfig();
  if (text !== undefined) {
    const result = parseRepoConfig(text, configFile);
    if (!result.ok) {
      process.stderr.write(`${result.problems.map(formatConfigProblem).join("\n")}\n`);
      return 1;
    }
    config = result.config;
  } else if (!json) {
    process.stderr.write(`note: ${configFile} not found; using the defaults\n`);
  }
  const evaluation = evaluateRepo({ files: listRepoFiles(repo), config, changedFiles: changed });
  for (const warning of evaluation.warnings) {
    process.stderr.write(`${formatWarning(configFile, text, warning)}\n`);
  }
  const dirspaces = [...evaluation.dirspaces].sort(compareDirspaces);
  process.stdout.write(
    `${json ? dirspacesJson(dirspaces) : renderDirspaces(dirspaces, changed.length > 0)}\n`,
  );
  return 0;
}
