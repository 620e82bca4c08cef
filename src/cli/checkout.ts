// Reads a checkout for the config commands: its repo config, its files, the module index and the stack graph.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import type { ConfigWarning } from "../domain/discover.ts";
import { evaluateRepo, type RepoEvaluation } from "../domain/match.ts";
import { indexRepository, type ModuleIndex } from "../domain/module-index/build.ts";
import { isIndexedFile } from "../domain/module-index/summarize.ts";
import {
  formatConfigProblem,
  formatKeyPath,
  locateConfigKey,
  parseRepoConfig,
  repoConfigPath,
} from "../domain/parse-repo-config.ts";
import { vendoredDirNames } from "../domain/paths.ts";
import { defaultRepoConfig, type RepoConfig } from "../domain/repo-config.ts";
import { buildStackGraph, type StackGraphProblem, type StackGraphResult } from "../domain/stack-graph.ts";

/** Every file under `root`, repository-relative with `/`, without .git, .terraform and node_modules. */
export function listRepoFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!vendoredDirNames.has(entry.name)) walk(path);
      } else if (entry.isFile()) {
        files.push(relative(root, path).split(sep).join("/"));
      }
    }
  };
  walk(root);
  return files;
}

export interface Checkout {
  repo: string;
  /** The config file as shown in messages (`DIR/.terragate/config.yml`). */
  configFile: string;
  /** The config text, or undefined when the file does not exist (all defaults). */
  configText: string | undefined;
  config: RepoConfig;
  files: string[];
  moduleIndex: ModuleIndex;
}

export type CheckoutResult = { ok: true; checkout: Checkout } | { ok: false; problems: string[] };

/** Reads the config (problems as `FILE:LINE:COL: KEY: MESSAGE`), lists the files and indexes the modules. */
export function loadCheckout(repo: string): CheckoutResult {
  const configFile = join(repo, repoConfigPath).split(sep).join("/");
  const configText = existsSync(configFile) ? readFileSync(configFile, "utf8") : undefined;
  let config = defaultRepoConfig();
  if (configText !== undefined) {
    const result = parseRepoConfig(configText, configFile);
    if (!result.ok) return { ok: false, problems: result.problems.map(formatConfigProblem) };
    config = result.config;
  }
  const files = listRepoFiles(repo);
  const contents = new Map<string, string>();
  for (const file of files)
    if (isIndexedFile(file)) contents.set(file, readFileSync(join(repo, file), "utf8"));
  const moduleIndex = indexRepository(files, contents);
  return { ok: true, checkout: { repo, configFile, configText, config, files, moduleIndex } };
}

/** What a PR changing `changedFiles` would see: dirspaces with reasons, and the stack graph. */
export function evaluateCheckout(
  checkout: Checkout,
  changedFiles: readonly string[],
): { evaluation: RepoEvaluation; graph: StackGraphResult } {
  const evaluation = evaluateRepo({
    files: checkout.files,
    config: checkout.config,
    changedFiles,
    moduleIndex: checkout.moduleIndex,
  });
  const graph = buildStackGraph({
    dirspaces: evaluation.dirspaces,
    ordering: checkout.config,
    moduleIndex: checkout.moduleIndex,
  });
  return { evaluation, graph };
}

/** A discovery warning, located in the config file when it names a key. */
export function formatWarning(checkout: Checkout, warning: ConfigWarning): string {
  if (warning.path.length === 0 || checkout.configText === undefined) return `warning: ${warning.message}`;
  const { line, column } = locateConfigKey(checkout.configText, warning.path);
  return `${checkout.configFile}:${line}:${column}: warning: ${formatKeyPath(warning.path)}: ${warning.message}`;
}

/** A stack graph problem as `FILE:LINE:COL: [warning: ]KEY: MESSAGE`. */
export function formatGraphProblem(checkout: Checkout, problem: StackGraphProblem): string {
  const severity = problem.severity === "warning" ? "warning: " : "";
  const key = problem.key === "" ? "" : `${problem.key}: `;
  const { location } = problem;
  if (location.kind === "file") {
    const file = join(checkout.repo, location.file).split(sep).join("/");
    return `${file}:${location.line}:${location.column}: ${severity}${key}${problem.message}`;
  }
  const { line, column } =
    checkout.configText === undefined
      ? { line: 1, column: 1 }
      : locateConfigKey(checkout.configText, location.path);
  return `${checkout.configFile}:${line}:${column}: ${severity}${key}${problem.message}`;
}

/** The module index's problems: files that cannot be parsed and references that cannot be followed. */
export function formatIndexProblems(checkout: Checkout): string[] {
  return checkout.moduleIndex.problems.map((problem) => {
    const file = join(checkout.repo, problem.file).split(sep).join("/");
    return `${file}:${problem.line}:${problem.column}: warning: ${problem.message}`;
  });
}
