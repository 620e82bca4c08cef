// Terragrunt units in the module index: includes, terraform.source, dependencies and read files, in the unit's scope.
import { dirnameOf } from "../paths.ts";
import type { DirUse, IndexProblem } from "./build.ts";
import type { FileSummary, LocatedExpression } from "./summarize.ts";
import {
  evaluateTerragrunt,
  type IncludedFile,
  isLocalTerragruntSource,
  looksRemote,
  repoPathOf,
  type TerragruntScope,
} from "./terragrunt-paths.ts";

export interface UnitContext {
  summaries: ReadonlyMap<string, FileSummary>;
  exists(path: string): boolean;
  problems: IndexProblem[];
}

/** Terragrunt included configs may include or read further files; real trees go one or two levels deep. */
const maxIncludeDepth = 8;

/** The uses of a Terragrunt unit: its own terragrunt.hcl and everything it includes or reads. */
export function addUnitUses(
  unitDir: string,
  unitFile: string,
  context: UnitContext,
  dirSet: ReadonlySet<string>,
  uses: DirUse[],
): void {
  const walk = new UnitWalk(unitDir, context, dirSet, uses);
  const unit = context.summaries.get(unitFile)!;
  walk.seenFiles.add(unitFile);
  const includes = new Map<string, IncludedFile>();
  const ownScope: TerragruntScope = {
    unitDir,
    exists: context.exists,
    fileDir: unitDir,
    inIncludedFile: false,
    includes,
    locals: unit.locals,
  };
  // Includes first, so get_parent_terragrunt_dir() in the unit's own file knows them.
  const included = walk.includes(unitFile, unit, ownScope, includes);
  // The unit's own settings win over included ones (Terragrunt merges the child over the parent).
  walk.visit(unitFile, unit, ownScope, 0);
  for (const { file, summary } of included) {
    const scope = { ...ownScope, fileDir: dirnameOf(file), inIncludedFile: true, locals: summary.locals };
    walk.visit(file, summary, scope, 1);
  }
}

/** One unit's walk over its files, collecting uses and problems. */
class UnitWalk {
  readonly seenFiles = new Set<string>();
  private sourceSet = false;
  private readonly unitDir: string;
  private readonly context: UnitContext;
  private readonly dirSet: ReadonlySet<string>;
  private readonly uses: DirUse[];

  constructor(unitDir: string, context: UnitContext, dirSet: ReadonlySet<string>, uses: DirUse[]) {
    this.unitDir = unitDir;
    this.context = context;
    this.dirSet = dirSet;
    this.uses = uses;
  }

  private resolveFile(located: LocatedExpression, file: string, scope: TerragruntScope, what: string) {
    return resolve(located, file, scope, what, this.context.problems);
  }

  /** Records the unit's includes, names them in `byName` (the scope's includes) and returns the files to visit. */
  includes(
    unitFile: string,
    unit: FileSummary,
    scope: TerragruntScope,
    byName: Map<string, IncludedFile>,
  ): { file: string; summary: FileSummary }[] {
    const included: { file: string; summary: FileSummary }[] = [];
    for (const located of unit.includes) {
      const target = this.resolveFile(located, unitFile, scope, "include path");
      if (target === null) continue;
      this.uses.push({ kind: "include", target, file: unitFile, line: located.line, column: located.column });
      const summary = this.context.summaries.get(target);
      if (summary && !this.seenFiles.has(target)) {
        this.seenFiles.add(target);
        included.push({ file: target, summary });
        byName.set(located.name, {
          dir: dirnameOf(target),
          locals: summary.locals,
        });
      }
    }
    return included;
  }

  visit(file: string, summary: FileSummary, scope: TerragruntScope, level: number): void {
    if (!this.sourceSet && summary.terraformSource) {
      const value = evaluateTerragrunt(summary.terraformSource.expression, scope);
      this.sourceSet = true;
      addSource(value, summary.terraformSource, file, scope, this.dirSet, this.uses, this.context.problems);
    }
    for (const located of summary.dependencies) {
      const target = this.resolveFile(located, file, scope, "dependency config_path");
      if (target !== null)
        this.uses.push({ kind: "dependency", target, file, line: located.line, column: located.column });
    }
    for (const located of summary.dependencyLists) this.dependencyList(located, file, scope);
    for (const located of summary.reads) {
      const target = this.resolveFile(located, file, scope, "read_terragrunt_config path");
      if (target === null) continue;
      this.uses.push({ kind: "read", target, file, line: located.line, column: located.column });
      const read = this.context.summaries.get(target);
      if (read && !this.seenFiles.has(target) && level < maxIncludeDepth) {
        this.seenFiles.add(target);
        // Only what the read file itself reads matters for changes: its blocks do not merge into the unit.
        const readScope = { ...scope, fileDir: dirnameOf(target), locals: read.locals };
        this.visit(
          target,
          { ...read, terraformSource: null, dependencies: [], dependencyLists: [] },
          readScope,
          level + 1,
        );
      }
    }
  }

  private dependencyList(located: LocatedExpression, file: string, scope: TerragruntScope): void {
    const value = evaluateTerragrunt(located.expression, scope);
    const where = { file, line: located.line, column: located.column };
    if (value.kind !== "list") {
      const reason = value.kind === "unknown" ? value.reason : "is not a list";
      this.context.problems.push({
        severity: "warning",
        ...where,
        message: `dependencies paths: ${reason}; these dependencies are not ordered`,
      });
      return;
    }
    for (const path of value.values) {
      const target = repoPathOf(path, this.unitDir);
      if (target.ok) this.uses.push({ kind: "dependency", target: target.path, ...where });
      else
        this.context.problems.push({
          severity: "warning",
          ...where,
          message: `dependencies path ${path}: ${target.reason}`,
        });
    }
  }
}

function resolve(
  located: LocatedExpression,
  file: string,
  scope: TerragruntScope,
  what: string,
  problems: IndexProblem[],
): string | null {
  const value = evaluateTerragrunt(located.expression, scope);
  const where = { file, line: located.line, column: located.column };
  if (value.kind !== "string") {
    const reason = value.kind === "unknown" ? value.reason : "is a list, not a path";
    problems.push({
      severity: "warning",
      ...where,
      message: `${what}: ${reason}; changes it names are not followed`,
    });
    return null;
  }
  const target = repoPathOf(value.value, scope.unitDir);
  if (!target.ok) {
    problems.push({ severity: "warning", ...where, message: `${what} ${value.value}: ${target.reason}` });
    return null;
  }
  return target.path;
}

function addSource(
  value: ReturnType<typeof evaluateTerragrunt>,
  located: LocatedExpression,
  file: string,
  scope: TerragruntScope,
  dirSet: ReadonlySet<string>,
  uses: DirUse[],
  problems: IndexProblem[],
): void {
  const where = { file, line: located.line, column: located.column };
  if (value.kind !== "string") {
    if (looksRemote(located.expression)) return;
    const reason = value.kind === "unknown" ? value.reason : "is a list";
    problems.push({
      severity: "warning",
      ...where,
      message: `terraform source: ${reason}; changes to the module it names do not plan this unit`,
    });
    return;
  }
  if (!isLocalTerragruntSource(value.value)) return;
  const target = repoPathOf(value.value, scope.unitDir);
  if (!target.ok) {
    problems.push({
      severity: "warning",
      ...where,
      message: `terraform source ${value.value}: ${target.reason}`,
    });
  } else if (!dirSet.has(target.path)) {
    problems.push({
      severity: "warning",
      ...where,
      message: `terraform source ${value.value}: ${target.path} holds no *.tf or *.tofu file`,
    });
  } else if (target.path !== scope.unitDir) {
    uses.push({ kind: "source", target: target.path, ...where });
  }
}
