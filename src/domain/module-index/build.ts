// The module index: for every terraform dir, the local modules, Terragrunt sources, includes and dependencies it uses.
import { findTerraformRoots } from "../discover.ts";
import { dirnameOf, joinPath, resolveRelativePath } from "../paths.ts";
import { type FileSummary, isIndexedFile, summarizeFile } from "./summarize.ts";
import { addUnitUses } from "./terragrunt-unit.ts";

/**
 * How one dir uses something else. `module` (a module block) and `source` (Terragrunt's
 * `terraform { source }`) name dirs whose changes change this dir; `include` and `read` name files
 * whose changes do; `dependency` (Terragrunt) only orders runs.
 */
export type DirUseKind = "module" | "source" | "include" | "read" | "dependency";

export interface DirUse {
  kind: DirUseKind;
  /** A dir for module, source and dependency; a file for include and read. */
  target: string;
  /** Where the use is written. */
  file: string;
  line: number;
  column: number;
}

/** A file that could not be parsed (error) or a reference that could not be followed (warning). */
export interface IndexProblem {
  severity: "error" | "warning";
  file: string;
  line: number;
  column: number;
  message: string;
}

export interface ModuleIndex {
  /** Every terraform dir (holding *.tf, *.tofu or terragrunt.hcl) and what it uses, sorted by dir. */
  dirs: ReadonlyMap<string, readonly DirUse[]>;
  /** Dirs that another dir uses as a local module or Terragrunt source: modules, not roots. */
  modules: ReadonlySet<string>;
  problems: readonly IndexProblem[];
}

export interface ModuleIndexInput {
  /** Every file path of the tree (normalized, repository-relative). */
  files: readonly string[];
  /** Summaries of the files `isIndexedFile` selects, by path; a missing one counts as empty. */
  summaries: ReadonlyMap<string, FileSummary>;
}

/** Summarizes the indexed files among `contents`. */
export function summarizeFiles(contents: ReadonlyMap<string, string>): Map<string, FileSummary> {
  const summaries = new Map<string, FileSummary>();
  for (const [path, text] of contents)
    if (isIndexedFile(path)) summaries.set(path, summarizeFile(path, text));
  return summaries;
}

/** Builds the index from file contents in one step (see buildModuleIndex). */
export function indexRepository(
  files: readonly string[],
  contents: ReadonlyMap<string, string>,
): ModuleIndex {
  return buildModuleIndex({ files, summaries: summarizeFiles(contents) });
}

/** Every path of the tree and every directory above one, for find_in_parent_folders. */
function existingPaths(files: readonly string[]): Set<string> {
  const paths = new Set<string>(["."]);
  for (const file of files) {
    paths.add(file);
    for (let dir = dirnameOf(file); dir !== "." && !paths.has(dir); dir = dirnameOf(dir)) paths.add(dir);
  }
  return paths;
}

export function buildModuleIndex(input: ModuleIndexInput): ModuleIndex {
  const dirs = findTerraformRoots(input.files);
  const dirSet = new Set(dirs);
  const filesByDir = new Map<string, string[]>();
  for (const path of input.summaries.keys()) {
    const dir = dirnameOf(path);
    const list = filesByDir.get(dir);
    if (list) list.push(path);
    else filesByDir.set(dir, [path]);
  }
  const problems: IndexProblem[] = [];
  for (const [file, summary] of input.summaries) {
    if (summary.syntaxError) {
      problems.push({
        severity: "error",
        file,
        ...summary.syntaxError,
        message: `cannot parse: ${summary.syntaxError.message}`,
      });
    }
  }
  let existing: Set<string> | undefined;
  const exists = (path: string): boolean => {
    existing ??= existingPaths(input.files);
    return existing.has(path);
  };
  const context = { summaries: input.summaries, exists, problems };
  const uses = new Map<string, DirUse[]>();
  const modules = new Set<string>();
  for (const dir of dirs) {
    const dirUses: DirUse[] = [];
    for (const file of (filesByDir.get(dir) ?? []).sort()) {
      const summary = input.summaries.get(file)!;
      if (summary.kind === "terraform") addModuleUses(dir, file, summary, dirSet, dirUses, problems);
    }
    const unitFile = joinPath(dir, "terragrunt.hcl");
    if (input.summaries.has(unitFile)) {
      const unitUses: DirUse[] = [];
      addUnitUses(dir, unitFile, context, dirSet, unitUses);
      // Terragrunt files often read the same file twice (a unit and its root both read env.hcl): keep the first.
      const seen = new Set<string>();
      for (const use of unitUses) {
        const key = `${use.kind}\0${use.target}`;
        if (!seen.has(key)) dirUses.push(use);
        seen.add(key);
      }
    }
    for (const use of dirUses) {
      if ((use.kind === "module" || use.kind === "source") && use.target !== dir) modules.add(use.target);
    }
    uses.set(dir, dirUses);
  }
  problems.sort((a, b) =>
    a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column,
  );
  return { dirs: uses, modules, problems };
}

function addModuleUses(
  dir: string,
  file: string,
  summary: FileSummary,
  dirSet: ReadonlySet<string>,
  uses: DirUse[],
  problems: IndexProblem[],
): void {
  for (const module of summary.modules) {
    // Terraform's rule: a local path starts with ./ or ../; anything else is a registry or remote source.
    if (!module.source.startsWith("./") && !module.source.startsWith("../")) continue;
    const where = { file, line: module.line, column: module.column };
    const resolved = resolveRelativePath(dir, module.source);
    if (!resolved.ok) {
      problems.push({
        severity: "warning",
        ...where,
        message: `module "${module.name}" source ${module.source}: ${resolved.reason}`,
      });
    } else if (!dirSet.has(resolved.path)) {
      problems.push({
        severity: "warning",
        ...where,
        message: `module "${module.name}" source ${module.source}: ${resolved.path} holds no *.tf or *.tofu file`,
      });
    } else if (resolved.path !== dir) {
      uses.push({ kind: "module", target: resolved.path, ...where });
    }
  }
}
