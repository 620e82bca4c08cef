// Reads `.terragate/config.yml` text into a RepoConfig, or problems that name file, line, column and key.
import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import type { z } from "zod";
import { RepoConfig } from "./repo-config.ts";
import { checkStacks } from "./stack-config.ts";

/** Where the repo config lives, relative to the repository root. */
export const repoConfigPath = ".terragate/config.yml";

/** One thing wrong with a config file; `path` is the key path (`dirs."aws/vpc".workspaces`), or "". */
export interface ConfigProblem {
  file: string;
  line: number;
  column: number;
  path: string;
  message: string;
}

export type RepoConfigResult = { ok: true; config: RepoConfig } | { ok: false; problems: ConfigProblem[] };

/** A config that could not be read; carries every problem found. */
export class RepoConfigError extends Error {
  override name = "RepoConfigError";
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    super(problems.map(formatConfigProblem).join("\n"));
    this.problems = problems;
  }
}

/** `file:line:col: key.path: message`, the form editors and CI logs link to. */
export function formatConfigProblem(problem: ConfigProblem): string {
  const where = problem.path === "" ? "" : `${problem.path}: `;
  return `${problem.file}:${problem.line}:${problem.column}: ${where}${problem.message}`;
}

/** A key path as people write it: bare words joined by dots, other keys quoted, indexes in brackets. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    else {
      const key = String(segment);
      const bare = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key);
      text += (text === "" ? "" : ".") + (bare ? key : JSON.stringify(key));
    }
  }
  return text;
}

type Position = { line: number; column: number };

/** The YAML node at a key path, and the node of its key when the last step is a mapping key. */
function locate(
  root: Node | null,
  path: readonly PropertyKey[],
  resolve: (node: Node) => Node,
): { node: Node | null; keyNode: Node | null } {
  let node: Node | null = root;
  let keyNode: Node | null = null;
  for (const segment of path) {
    if (node === null) break;
    const current: Node = resolve(node);
    if (isMap(current)) {
      const pair = current.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (!pair) break;
      keyNode = pair.key as Node;
      const value = pair.value as Node | null;
      // An empty value (`ignore:`) has no text of its own; point at its key instead.
      const empty = value === null || (value.range != null && value.range[0] === value.range[1]);
      node = empty ? keyNode : value;
    } else if (isSeq(current) && typeof segment === "number" && current.items[segment]) {
      keyNode = null;
      node = current.items[segment] as Node;
    } else {
      break;
    }
  }
  return { node, keyNode };
}

function problemsFromIssues(
  issues: readonly z.core.$ZodIssue[],
  file: string,
  root: Node | null,
  position: (node: Node | null) => Position,
  resolve: (node: Node) => Node,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      const messages = issue.message.split("\n");
      issue.keys.forEach((key, index) => {
        const path = [...issue.path, key];
        const { keyNode } = locate(root, path, resolve);
        const message = messages[index] ?? "unknown key";
        problems.push({ file, ...position(keyNode), path: formatKeyPath(path), message });
      });
      continue;
    }
    const { node, keyNode } = locate(root, issue.path, resolve);
    const target = issue.code === "invalid_key" ? keyNode : node;
    problems.push({
      file,
      ...position(target),
      path: formatKeyPath(issue.path),
      message: describeIssue(issue),
    });
  }
  return problems.sort((a, b) => a.line - b.line || a.column - b.column);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return issue.message.startsWith("Invalid input: ")
        ? issue.message.slice("Invalid input: ".length).replace("received", "got")
        : issue.message;
    case "invalid_value":
      return issue.message.startsWith("Invalid option")
        ? `expected one of ${issue.values.map((value) => String(value)).join(", ")}`
        : issue.message;
    case "invalid_key":
      return issue.issues[0]?.message ?? issue.message;
    case "too_small":
      return issue.message.startsWith("Too small")
        ? `must be at least ${String(issue.minimum)}`
        : issue.message;
    case "too_big":
      return issue.message.startsWith("Too big") ? `must be at most ${String(issue.maximum)}` : issue.message;
    default:
      return issue.message;
  }
}

/** Parses and validates config text. An empty file means all defaults. */
export function parseRepoConfig(text: string, file: string = repoConfigPath): RepoConfigResult {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const position = (node: Node | null): Position => {
    const offset = node?.range?.[0] ?? 0;
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (document.errors.length > 0) {
    return {
      ok: false,
      problems: document.errors.map((error) => {
        const [start] = error.linePos ?? [{ line: 1, col: 1 }];
        const message = (error.message.split("\n")[0] ?? error.message).replace(
          / at line \d+, column \d+:?$/,
          "",
        );
        return { file, line: start.line, column: start.col, path: "", message: `YAML syntax: ${message}` };
      }),
    };
  }
  const root = document.contents as Node | null;
  const data: unknown = document.toJS({ maxAliasCount: 1000 }) ?? {};
  if (typeof data !== "object" || Array.isArray(data)) {
    return {
      ok: false,
      problems: [
        {
          file,
          ...position(root),
          path: "",
          message: "expected a mapping of settings at the top level, such as `version: 1`",
        },
      ],
    };
  }
  const parsed = RepoConfig.safeParse(data);
  const resolve = (node: Node): Node =>
    isAlias(node) ? ((node.resolve(document) as Node | undefined) ?? node) : node;
  if (parsed.success) {
    const stackProblems = checkStacks(parsed.data);
    if (stackProblems.length === 0) return { ok: true, config: parsed.data };
    return {
      ok: false,
      problems: stackProblems
        .map((problem) => ({
          file,
          ...position(locate(root, problem.at, resolve).node),
          path: formatKeyPath(problem.key),
          message: problem.message,
        }))
        .sort((a, b) => a.line - b.line || a.column - b.column),
    };
  }
  return { ok: false, problems: problemsFromIssues(parsed.error.issues, file, root, position, resolve) };
}

/** Line and column of a key in config text (its key when it is a mapping key), for warnings. */
export function locateConfigKey(text: string, path: readonly PropertyKey[]): Position {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter });
  const resolve = (node: Node): Node =>
    isAlias(node) ? ((node.resolve(document) as Node | undefined) ?? node) : node;
  const { node, keyNode } = locate(document.contents as Node | null, path, resolve);
  const target = keyNode ?? node;
  const { line, col } = lineCounter.linePos(target?.range?.[0] ?? 0);
  return { line, column: col };
}
