// One file's references to other code: module sources (.tf/.tofu) and Terragrunt's source, dependencies, includes.

import { type Body, createLineLocator, type Expression, walkExpression } from "../hcl/ast.ts";
import { parseHcl, templateLiteral } from "../hcl/parse.ts";
import { basenameOf } from "../paths.ts";

/** An expression with where it is written, to evaluate later in a Terragrunt unit's context. */
export interface LocatedExpression {
  expression: Expression;
  line: number;
  column: number;
}

/** A `module` block's literal `source`, as written. */
export interface ModuleSource {
  name: string;
  source: string;
  line: number;
  column: number;
}

/** What the index needs from one file; small, and the same for the same text (cacheable by content). */
export interface FileSummary {
  kind: "terraform" | "terragrunt";
  /** Terraform files: every `module` block with a literal `source`. */
  modules: ModuleSource[];
  /** Terragrunt files: `terraform { source }`. */
  terraformSource: LocatedExpression | null;
  /** Terragrunt files: each `dependency` block's `config_path`. */
  dependencies: LocatedExpression[];
  /** Terragrunt files: each `dependencies { paths }` list. */
  dependencyLists: LocatedExpression[];
  /** Terragrunt files: each `include` block's `path`, with the block's label ("" when it has none). */
  includes: (LocatedExpression & { name: string })[];
  /** Terragrunt files: the first argument of every `read_terragrunt_config(…)` call. */
  reads: LocatedExpression[];
  /** Terragrunt files: `locals` by name, for `local.NAME` in the expressions above. */
  locals: Map<string, Expression>;
  /** A syntax error: the file is otherwise empty. */
  syntaxError: { line: number; column: number; message: string } | null;
}

/** Files the index reads: Terraform and OpenTofu sources and Terragrunt configuration. */
export function isIndexedFile(path: string): boolean {
  if (path.endsWith(".tf") || path.endsWith(".tofu")) return true;
  return path.endsWith(".hcl") && basenameOf(path) !== ".terraform.lock.hcl";
}

function emptySummary(kind: FileSummary["kind"]): FileSummary {
  return {
    kind,
    modules: [],
    terraformSource: null,
    dependencies: [],
    dependencyLists: [],
    includes: [],
    reads: [],
    locals: new Map(),
    syntaxError: null,
  };
}

/** Parses a file and keeps what the module index needs. `path` decides Terraform or Terragrunt. */
export function summarizeFile(path: string, text: string): FileSummary {
  const kind = path.endsWith(".hcl") ? "terragrunt" : "terraform";
  const summary = emptySummary(kind);
  const parsed = parseHcl(text);
  if (!parsed.ok) {
    summary.syntaxError = { line: parsed.line, column: parsed.column, message: parsed.message };
    return summary;
  }
  const position = createLineLocator(text);
  const locate = (expression: Expression, offset: number): LocatedExpression => ({
    expression,
    ...position(offset),
  });
  if (kind === "terraform") collectModules(parsed.body, position, summary);
  else collectTerragrunt(parsed.body, summary, locate);
  return summary;
}

function collectModules(
  body: Body,
  position: (offset: number) => { line: number; column: number },
  summary: FileSummary,
): void {
  for (const block of body.blocks) {
    if (block.type !== "module") continue;
    const source = block.body.attributes.find((attribute) => attribute.name === "source");
    if (source?.value.kind !== "template") continue;
    const literal = templateLiteral(source.value.parts);
    if (literal === null) continue; // terraform itself refuses a computed source
    summary.modules.push({
      name: block.labels[0] ?? "",
      source: literal,
      ...position(source.value.offset),
    });
  }
}

function collectTerragrunt(
  body: Body,
  summary: FileSummary,
  locate: (expression: Expression, offset: number) => LocatedExpression,
): void {
  const attribute = (inner: Body, name: string) => inner.attributes.find((item) => item.name === name);
  for (const block of body.blocks) {
    switch (block.type) {
      case "terraform": {
        const source = attribute(block.body, "source");
        if (source) summary.terraformSource = locate(source.value, source.value.offset);
        break;
      }
      case "dependency": {
        const configPath = attribute(block.body, "config_path");
        if (configPath) summary.dependencies.push(locate(configPath.value, configPath.value.offset));
        break;
      }
      case "dependencies": {
        const paths = attribute(block.body, "paths");
        if (paths) summary.dependencyLists.push(locate(paths.value, paths.value.offset));
        break;
      }
      case "include": {
        const path = attribute(block.body, "path");
        if (path)
          summary.includes.push({ name: block.labels[0] ?? "", ...locate(path.value, path.value.offset) });
        break;
      }
      case "locals":
        for (const local of block.body.attributes) summary.locals.set(local.name, local.value);
        break;
      default:
        break;
    }
  }
  forEachExpression(body, (expression) => {
    walkExpression(expression, (inner) => {
      if (inner.kind === "call" && inner.name === "read_terragrunt_config" && inner.args[0]) {
        summary.reads.push(locate(inner.args[0], inner.offset));
      }
    });
  });
}

function forEachExpression(body: Body, visit: (expression: Expression) => void): void {
  for (const attribute of body.attributes) visit(attribute.value);
  for (const block of body.blocks) forEachExpression(block.body, visit);
}
