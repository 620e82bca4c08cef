// Works out the paths a Terragrunt expression names without running Terragrunt: literals, locals, path functions.
import type { Expression } from "../hcl/ast.ts";
import { dirnameOf, type PathCheck, relativePath, resolveRelativePath } from "../paths.ts";

/**
 * Terragrunt's path functions return absolute paths. The repository root stands in for the checkout's
 * absolute path; a NUL byte cannot occur in a real path, so this prefix cannot be confused with one.
 */
const repoRoot = "/\0";

function absolute(dir: string): string {
  return dir === "." ? repoRoot : `${repoRoot}/${dir}`;
}

/** Where an expression is evaluated: the unit being planned and the file the expression is written in. */
export interface TerragruntScope {
  /** The dir of the unit's terragrunt.hcl (relative paths and get_terragrunt_dir() refer to it). */
  unitDir: string;
  /** The dir of the file holding the expression (the unit's own, or an included file's). */
  fileDir: string;
  /** Whether the expression is in an included (parent) file rather than the unit's own. */
  inIncludedFile: boolean;
  /** Included files by include name ("" for an unnamed include): their dir and `locals` (`include.NAME.locals.X`). */
  includes: ReadonlyMap<string, IncludedFile>;
  /** The `locals` of the file holding the expression. */
  locals: ReadonlyMap<string, Expression>;
  /** Whether a file or directory exists in the tree (for find_in_parent_folders). */
  exists(path: string): boolean;
}

export interface IncludedFile {
  dir: string;
  locals: ReadonlyMap<string, Expression>;
}

export type TerragruntValue =
  | { kind: "string"; value: string }
  | { kind: "list"; values: string[] }
  | { kind: "unknown"; reason: string };

const unknown = (reason: string): TerragruntValue => ({ kind: "unknown", reason });

/** Evaluates an expression to a string or list of strings, or says why it cannot be done statically. */
export function evaluateTerragrunt(
  expression: Expression,
  scope: TerragruntScope,
  depth = 0,
): TerragruntValue {
  if (depth > 32) return unknown("locals refer to each other too deeply");
  switch (expression.kind) {
    case "template": {
      let text = "";
      for (const part of expression.parts) {
        if (part.kind === "text") text += part.text;
        else if (part.kind === "directive") return unknown("uses a %{ } template directive");
        else {
          const inner = evaluateTerragrunt(part.expression, scope, depth + 1);
          if (inner.kind !== "string")
            return inner.kind === "unknown" ? inner : unknown("interpolates a list");
          text += inner.value;
        }
      }
      return { kind: "string", value: text };
    }
    case "tuple": {
      const values: string[] = [];
      for (const item of expression.items) {
        const inner = evaluateTerragrunt(item, scope, depth + 1);
        if (inner.kind !== "string") return inner.kind === "unknown" ? inner : unknown("nests lists");
        values.push(inner.value);
      }
      return { kind: "list", values };
    }
    case "get-attribute":
      return evaluateReference(expression, scope, depth);
    case "call":
      return evaluateCall(expression, scope, depth);
    case "literal":
    case "variable":
    case "index":
    case "splat":
    case "object":
    case "for":
    case "operation":
      return unknown("uses a value only known when Terragrunt runs");
    default: {
      const unreachable: never = expression;
      return unreachable;
    }
  }
}

/** `local.NAME`, and `include.NAME.locals.X` (or `include.locals.X` for a single unnamed include). */
function evaluateReference(
  expression: Expression & { kind: "get-attribute" },
  scope: TerragruntScope,
  depth: number,
): TerragruntValue {
  const { object, name } = expression;
  if (object.kind === "variable" && object.name === "local") {
    const local = scope.locals.get(name);
    if (!local) return unknown(`uses local.${name}, which is not defined in this file`);
    return evaluateTerragrunt(local, scope, depth + 1);
  }
  if (object.kind === "get-attribute" && object.name === "locals") {
    const owner = object.object;
    let included: IncludedFile | undefined;
    if (owner.kind === "variable" && owner.name === "include") included = scope.includes.get("");
    else if (
      owner.kind === "get-attribute" &&
      owner.object.kind === "variable" &&
      owner.object.name === "include"
    ) {
      included = scope.includes.get(owner.name);
    }
    const local = included?.locals.get(name);
    if (included && local) {
      const inner = { ...scope, fileDir: included.dir, inIncludedFile: true, locals: included.locals };
      return evaluateTerragrunt(local, inner, depth + 1);
    }
  }
  return unknown("uses a value only known when Terragrunt runs");
}

function stringArgs(
  args: readonly Expression[],
  scope: TerragruntScope,
  depth: number,
): string[] | TerragruntValue {
  const values: string[] = [];
  for (const arg of args) {
    const value = evaluateTerragrunt(arg, scope, depth + 1);
    if (value.kind !== "string") return value.kind === "unknown" ? value : unknown("passes a list");
    values.push(value.value);
  }
  return values;
}

/** The repository path an evaluated path string stands for (relative ones resolve against the unit's dir). */
export function repoPathOf(value: string, unitDir: string): PathCheck {
  if (value === repoRoot || value.startsWith(`${repoRoot}/`)) {
    return resolveRelativePath(".", value.slice(repoRoot.length));
  }
  if (value.startsWith("/")) return { ok: false, reason: "it is an absolute path outside the repository" };
  return resolveRelativePath(unitDir, value);
}

function parentInclude(name: string | undefined, scope: TerragruntScope): string | undefined {
  if (scope.inIncludedFile) return scope.fileDir;
  if (name !== undefined) return scope.includes.get(name)?.dir;
  return scope.includes.size === 1 ? [...scope.includes.values()][0]!.dir : undefined;
}

function evaluateCall(
  call: Expression & { kind: "call" },
  scope: TerragruntScope,
  depth: number,
): TerragruntValue {
  const args = stringArgs(call.args, scope, depth);
  if (!Array.isArray(args)) return args;
  const str = (value: string): TerragruntValue => ({ kind: "string", value });
  switch (call.name) {
    case "get_terragrunt_dir":
    case "get_original_terragrunt_dir":
      return str(absolute(scope.unitDir));
    case "get_repo_root":
      return str(repoRoot);
    case "get_path_to_repo_root":
      return str(relativePath(scope.unitDir, "."));
    case "get_path_from_repo_root":
      return str(scope.unitDir);
    case "find_in_parent_folders":
      return findInParentFolders(args[0] ?? "terragrunt.hcl", args[1], scope);
    case "get_parent_terragrunt_dir": {
      const dir = parentInclude(args[0], scope);
      return dir === undefined ? unknown("names no include this unit has") : str(absolute(dir));
    }
    case "path_relative_to_include": {
      const dir = parentInclude(args[0], scope);
      return dir === undefined
        ? unknown("names no include this unit has")
        : str(relativePath(dir, scope.unitDir));
    }
    case "path_relative_from_include": {
      const dir = parentInclude(args[0], scope);
      return dir === undefined
        ? unknown("names no include this unit has")
        : str(relativePath(scope.unitDir, dir));
    }
    case "dirname": {
      const [path] = args;
      if (path === undefined) return unknown("calls dirname without an argument");
      const slash = path.lastIndexOf("/");
      return str(slash <= 0 ? (path.startsWith("/") ? "/" : ".") : path.slice(0, slash));
    }
    case "basename":
      return args[0] === undefined
        ? unknown("calls basename without an argument")
        : str(args[0].slice(args[0].lastIndexOf("/") + 1));
    case "abspath": {
      const [path] = args;
      if (path === undefined) return unknown("calls abspath without an argument");
      return str(path.startsWith("/") ? path : absolute(scope.unitDir) + (path === "." ? "" : `/${path}`));
    }
    case "format":
      return formatStrings(args);
    default:
      return unknown(`calls ${call.name}(), which only Terragrunt can evaluate`);
  }
}

/** find_in_parent_folders: the first NAME in the unit's parent directory or above it. */
function findInParentFolders(
  name: string,
  fallback: string | undefined,
  scope: TerragruntScope,
): TerragruntValue {
  let dir = scope.unitDir;
  while (dir !== ".") {
    dir = dirnameOf(dir);
    const candidate = resolveRelativePath(dir, name);
    if (candidate.ok && scope.exists(candidate.path))
      return { kind: "string", value: absolute(candidate.path) };
  }
  if (fallback !== undefined) return { kind: "string", value: fallback };
  return unknown(`find_in_parent_folders finds no ${name} above ${scope.unitDir}`);
}

/** format() with `%s` and `%%` only, the forms path building uses. */
function formatStrings(args: readonly string[]): TerragruntValue {
  const [pattern, ...values] = args;
  if (pattern === undefined) return unknown("calls format without a pattern");
  let index = 0;
  let failed = false;
  const text = pattern.replace(/%[%a-z]/g, (verb) => {
    if (verb === "%%") return "%";
    if (verb !== "%s" || index >= values.length) failed = true;
    return values[index++] ?? "";
  });
  return failed ? unknown("calls format with verbs other than %s") : { kind: "string", value: text };
}

/**
 * Whether a `terraform.source` that cannot be evaluated is remote anyway: its literal text holds a
 * go-getter scheme or a `?ref=` query (`"${include.envcommon.locals.base}?ref=v1.2.0"`).
 */
export function looksRemote(expression: Expression): boolean {
  if (expression.kind !== "template") return false;
  return expression.parts.some(
    (part) =>
      part.kind === "text" &&
      (part.text.includes("::") || part.text.includes("://") || part.text.includes("?ref=")),
  );
}

/** Whether an evaluated Terragrunt `terraform.source` names local code rather than a remote module. */
export function isLocalTerragruntSource(value: string): boolean {
  if (value.includes("::") || value.includes("://") || value.includes("?")) return false;
  if (/^(git@|github\.com\/|bitbucket\.org\/|gitlab\.com\/)/.test(value)) return false;
  return true;
}
