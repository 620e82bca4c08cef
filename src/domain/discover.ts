// Discovery: terraform roots in a file tree, the `dirs` settings each one gets, and its dirspaces.
import { type Dirspace, type DirspaceWorkflow, defaultWorkflow } from "./dirspace.ts";
import { compileGlob, type Glob, isGlobPattern } from "./glob.ts";
import { basenameOf, checkPath, dirnameOf, isNormalPath } from "./paths.ts";
import type { DirConfig, RepoConfig, WhenModifiedOverride } from "./repo-config.ts";
import { evaluateTagQuery, parseTagQuery, type TagQuery } from "./tag-query.ts";

/** Something in the config or the tree that is allowed but probably not what was meant. */
export interface ConfigWarning {
  /** Key path in the config (`["dirs", "infra/old"]`), empty when it is about the tree. */
  path: (string | number)[];
  message: string;
}

/** A discovered dirspace before changed files are considered. */
export type DiscoveredDirspace = Omit<Dirspace, "changed">;

export interface Discovery {
  dirspaces: DiscoveredDirspace[];
  warnings: ConfigWarning[];
}

/** Whether a file makes its directory a terraform root. */
export function isTerraformRootFile(path: string): boolean {
  return path.endsWith(".tf") || path.endsWith(".tofu") || basenameOf(path) === "terragrunt.hcl";
}

/** Terraform roots in a file list, sorted; invalid paths are skipped and reported as warnings. */
export function findTerraformRoots(files: readonly string[], warnings: ConfigWarning[] = []): string[] {
  const roots = new Set<string>();
  for (const file of files) {
    if (!isTerraformRootFile(file)) continue;
    if (isNormalPath(file)) {
      roots.add(dirnameOf(file));
      continue;
    }
    const checked = checkPath(file);
    if (checked.ok) roots.add(dirnameOf(checked.path));
    else warnings.push({ path: [], message: `skipped file ${JSON.stringify(file)}: ${checked.reason}` });
  }
  return [...roots].sort();
}

interface DirRule {
  key: string;
  order: number;
  glob: Glob;
  config: DirConfig;
}

/** Finds each root's `dirs` entry: an exact key beats any glob; a longer glob beats a shorter one. */
export function createDirResolver(dirs: RepoConfig["dirs"]): {
  resolve(root: string): { key: string; config: DirConfig } | undefined;
  exactKeys: Map<string, string>;
  globRules: DirRule[];
} {
  const exactKeys = new Map<string, string>();
  const exact = new Map<string, { key: string; config: DirConfig }>();
  const globRules: DirRule[] = [];
  Object.entries(dirs).forEach(([key, config], order) => {
    const normalized = checkPath(key);
    if (!normalized.ok) return; // the schema already rejected it
    if (isGlobPattern(normalized.path)) {
      globRules.push({ key, order, glob: compileGlob(normalized.path), config });
    } else if (!exact.has(normalized.path)) {
      exact.set(normalized.path, { key, config });
      exactKeys.set(normalized.path, key);
    }
  });
  globRules.sort((a, b) => b.glob.pattern.length - a.glob.pattern.length || a.order - b.order);
  return {
    exactKeys,
    globRules,
    resolve(root) {
      const found = exact.get(root);
      if (found) return found;
      const rule = globRules.find((candidate) => candidate.glob.test(root));
      return rule && { key: rule.key, config: rule.config };
    },
  };
}

function mergeWhenModified(
  base: RepoConfig["when_modified"],
  ...overrides: (WhenModifiedOverride | undefined)[]
): RepoConfig["when_modified"] {
  let result = base;
  for (const override of overrides) {
    if (override === undefined) continue;
    result = {
      file_patterns: override.file_patterns ?? result.file_patterns,
      autoplan: override.autoplan ?? result.autoplan,
      autoplan_draft_pr: override.autoplan_draft_pr ?? result.autoplan_draft_pr,
    };
  }
  return result;
}

/** Each workflow with its parsed tag query (the schema has already checked the syntax). */
function compileWorkflows(config: RepoConfig): Array<{ query: TagQuery; workflow: DirspaceWorkflow }> {
  return config.workflows.map((workflow, index) => ({
    query: parseTagQuery(workflow.tag_query),
    workflow: { index, engine: workflow.engine, plan: workflow.plan, apply: workflow.apply },
  }));
}

const byKey = ([a]: [string, unknown], [b]: [string, unknown]): number => (a < b ? -1 : a > b ? 1 : 0);

const defaultWorkspaces: NonNullable<DirConfig["workspaces"]> = { default: { tags: [] } };

/** Every dirspace of the tree with its tags, when_modified settings and workflow. */
export function discoverDirspaces(files: readonly string[], config: RepoConfig): Discovery {
  const warnings: ConfigWarning[] = [];
  const ignore = config.ignore.map((pattern) => compileGlob(pattern));
  const resolver = createDirResolver(config.dirs);
  const workflows = compileWorkflows(config);
  const usedKeys = new Set<string>();
  const ignoredRoots = new Map<string, string>();
  const dirspaces: DiscoveredDirspace[] = [];

  const roots = findTerraformRoots(files, warnings);
  for (const dir of roots) {
    const ignoredBy = ignore.find((glob) => glob.test(dir));
    if (ignoredBy) {
      ignoredRoots.set(dir, ignoredBy.pattern);
      continue;
    }
    const entry = resolver.resolve(dir);
    if (entry) usedKeys.add(entry.key);
    const dirConfig = entry?.config;
    const workspaces = dirConfig?.workspaces ?? defaultWorkspaces;
    for (const [workspace, workspaceConfig] of Object.entries(workspaces).sort(byKey)) {
      const tags = [...new Set([...(dirConfig?.tags ?? []), ...workspaceConfig.tags])];
      tags.push(`dir:${dir}`, `workspace:${workspace}`);
      const whenModified = mergeWhenModified(
        config.when_modified,
        dirConfig?.when_modified,
        workspaceConfig.when_modified,
      );
      const tagSet = new Set(tags);
      const workflow = workflows.find((candidate) => evaluateTagQuery(candidate.query, tagSet))?.workflow;
      dirspaces.push({
        dir,
        workspace,
        tags,
        autoplan: whenModified.autoplan,
        autoplanDraftPr: whenModified.autoplan_draft_pr,
        filePatterns: whenModified.file_patterns,
        workflow: workflow ?? defaultWorkflow,
      });
    }
  }

  const noRoot =
    "matches no terraform root (a dir holding *.tf, *.tofu or terragrunt.hcl); check the spelling";
  for (const [normalized, key] of resolver.exactKeys) {
    if (usedKeys.has(key)) continue;
    const ignoredBy = ignoredRoots.get(normalized);
    const message = ignoredBy
      ? `matches no terraform root: ${normalized} is excluded by the ignore pattern ${JSON.stringify(ignoredBy)}`
      : noRoot;
    warnings.push({ path: ["dirs", key], message });
  }
  for (const rule of resolver.globRules) {
    if (usedKeys.has(rule.key)) continue;
    const matchesSome = roots.some((root) => rule.glob.test(root));
    warnings.push({
      path: ["dirs", rule.key],
      message: matchesSome
        ? "applies to no terraform root: the roots it matches are ignored or taken by a more specific dirs entry"
        : noRoot,
    });
  }
  return { dirspaces, warnings };
}
