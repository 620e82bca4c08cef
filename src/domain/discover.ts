// Discovery: terraform roots in a file tree, the `dirs` settings each one gets, and its dirspaces.
import { type Dirspace, type DirspaceWorkflow, defaultWorkflow } from "./dirspace.ts";
import { compileGlob, type Glob, isGlobPattern } from "./glob.ts";
import { checkPath, dirnameOf, isNormalPath } from "./paths.ts";
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
  return (
    path.endsWith(".tf") ||
    path.endsWith(".tofu") ||
    path === "terragrunt.hcl" ||
    path.endsWith("/terragrunt.hcl")
  );
}

/** Terraform roots in a file list, sorted; invalid paths are skipped and reported as warnings. */
export function findTerraformRoots(files: readonly string[], warnings: ConfigWarning[] = []): string[] {
  const roots = new Set<string>();
  let lastDir = "";
  for (const file of files) {
    if (!isTerraformRootFile(file)) continue;
    // Listings group a directory's files together: skip the work for a sibling of the last root file.
    const slash = file.lastIndexOf("/");
    if (slash === lastDir.length && slash > 0 && file.startsWith(lastDir)) continue;
    if (isNormalPath(file)) {
      lastDir = dirnameOf(file);
      roots.add(lastDir);
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
      depends_on_modules: override.depends_on_modules ?? result.depends_on_modules,
    };
  }
  return result;
}

interface CompiledWorkflow {
  query: TagQuery;
  workflow: DirspaceWorkflow;
}

/** Each workflow with its parsed tag query (the schema has already checked the syntax). */
function compileWorkflows(config: RepoConfig): CompiledWorkflow[] {
  return config.workflows.map((workflow, index) => ({
    query: parseTagQuery(workflow.tag_query),
    workflow: { index, engine: workflow.engine, plan: workflow.plan, apply: workflow.apply },
  }));
}

/** Whether a query can tell dirs apart (`in dir` or a `dir:` tag); if not, results can be shared. */
function dependsOnDir(query: TagQuery): boolean {
  switch (query.kind) {
    case "all":
      return false;
    case "tag":
      return query.tag.startsWith("dir:");
    case "in-dir":
      return true;
    case "not":
      return dependsOnDir(query.operand);
    case "and":
    case "or":
      return query.operands.some(dependsOnDir);
    default: {
      const unreachable: never = query;
      return unreachable;
    }
  }
}

function selectWorkflow(workflows: readonly CompiledWorkflow[], tags: ReadonlySet<string>): DirspaceWorkflow {
  return workflows.find((candidate) => evaluateTagQuery(candidate.query, tags))?.workflow ?? defaultWorkflow;
}

/** What every dir sharing one `dirs` entry has in common for one workspace. */
interface WorkspaceTemplate {
  workspace: string;
  userTags: string[];
  whenModified: RepoConfig["when_modified"];
  /** Set when no workflow query looks at the dir, so the choice holds for every dir of the entry. */
  workflow: DirspaceWorkflow | undefined;
}

const byKey = ([a]: [string, unknown], [b]: [string, unknown]): number => (a < b ? -1 : a > b ? 1 : 0);

const defaultWorkspaces: NonNullable<DirConfig["workspaces"]> = { default: { tags: [] } };

function workspaceTemplates(
  config: RepoConfig,
  dirConfig: DirConfig | undefined,
  workflows: readonly CompiledWorkflow[],
  sharedWorkflow: boolean,
): WorkspaceTemplate[] {
  const workspaces = Object.entries(dirConfig?.workspaces ?? defaultWorkspaces).sort(byKey);
  return workspaces.map(([workspace, workspaceConfig]) => {
    const userTags = [...new Set([...(dirConfig?.tags ?? []), ...workspaceConfig.tags])];
    const whenModified = mergeWhenModified(
      config.when_modified,
      dirConfig?.when_modified,
      workspaceConfig.when_modified,
    );
    const workflow = sharedWorkflow
      ? selectWorkflow(workflows, new Set([...userTags, `workspace:${workspace}`]))
      : undefined;
    return { workspace, userTags, whenModified, workflow };
  });
}

/**
 * Every dirspace of the tree with its tags, when_modified settings and workflow. `modules` (from the
 * module index) are dirs other dirs use as local modules: they are not roots unless a `dirs` key names
 * them exactly.
 */
export function discoverDirspaces(
  files: readonly string[],
  config: RepoConfig,
  modules?: ReadonlySet<string>,
): Discovery {
  const { dirspaces, warnings } = buildDirspaces(files, config, modules);
  return { dirspaces, warnings };
}

/**
 * discoverDirspaces, with `changed: false` on each dirspace so evaluateRepo can fill it in place, and
 * each dirspace's `when_modified.depends_on_modules` at the same index.
 */
export function buildDirspaces(
  files: readonly string[],
  config: RepoConfig,
  modules?: ReadonlySet<string>,
): { dirspaces: Dirspace[]; warnings: ConfigWarning[]; dependsOnModules: boolean[] } {
  const warnings: ConfigWarning[] = [];
  const ignore = config.ignore.map((pattern) => compileGlob(pattern));
  const resolver = createDirResolver(config.dirs);
  const workflows = compileWorkflows(config);
  const sharedWorkflow = !workflows.some((candidate) => dependsOnDir(candidate.query));
  const templatesByEntry = new Map<string | undefined, WorkspaceTemplate[]>();
  const usedKeys = new Set<string>();
  const ignoredRoots = new Map<string, string>();
  const dirspaces: Dirspace[] = [];
  const dependsOnModules: boolean[] = [];

  const roots = findTerraformRoots(files, warnings);
  for (const dir of roots) {
    const ignoredBy = ignore.find((glob) => glob.test(dir));
    if (ignoredBy) {
      ignoredRoots.set(dir, ignoredBy.pattern);
      continue;
    }
    if (modules?.has(dir) && !resolver.exactKeys.has(dir)) continue;
    const entry = resolver.resolve(dir);
    if (entry) usedKeys.add(entry.key);
    let templates = templatesByEntry.get(entry?.key);
    if (!templates) {
      templates = workspaceTemplates(config, entry?.config, workflows, sharedWorkflow);
      templatesByEntry.set(entry?.key, templates);
    }
    const dirTag = `dir:${dir}`;
    for (const template of templates) {
      const tags = [...template.userTags, dirTag, `workspace:${template.workspace}`];
      dirspaces.push({
        dir,
        workspace: template.workspace,
        tags,
        autoplan: template.whenModified.autoplan,
        autoplanDraftPr: template.whenModified.autoplan_draft_pr,
        filePatterns: template.whenModified.file_patterns,
        workflow: template.workflow ?? selectWorkflow(workflows, new Set(tags)),
        changed: false,
      });
      dependsOnModules.push(template.whenModified.depends_on_modules);
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
        ? "applies to no terraform root: the dirs it matches are ignored, used as modules by other dirs, or taken by a more specific dirs entry"
        : noRoot,
    });
  }
  return { dirspaces, warnings, dependsOnModules };
}
