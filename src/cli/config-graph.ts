// `terragate config graph`: the stack graph of a checkout (stacks, dirs' depends_on, Terragrunt dependencies).
import { existsSync } from "node:fs";
import { stackGraphDot, stackGraphJson } from "../domain/stack-graph-format.ts";
import { evaluateCheckout, formatGraphProblem, formatIndexProblems, loadCheckout } from "./checkout.ts";

export const usage = `Usage: terragate config graph [--repo DIR] [--format dot|json]

Prints the order dirspaces are applied in, for the checkout in DIR (default .): one node per
dirspace, and an edge from each dirspace to every dirspace that runs after it, from the config's
stacks and dirs' depends_on and from Terragrunt dependency blocks. --format dot (the default) is for
Graphviz (\`terragate config graph | dot -Tsvg > graph.svg\`); --format json prints
{"nodes":[{"id","dir","workspace","stack"}],"edges":[{"from","to","reasons"}]}, where "from" is
applied before "to". A cycle is reported as FILE:LINE:COL: stacks: cycle … and exits 1.`;

const formats = ["dot", "json"] as const;
type Format = (typeof formats)[number];

type ParsedArgs =
  | { ok: true; repo: string; format: Format }
  | { ok: false; message: string }
  | { ok: "help" };

export function parseGraphArgs(args: readonly string[]): ParsedArgs {
  let repo = ".";
  let format: Format = "dot";
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--help" || arg === "-h") return { ok: "help" };
    const [flag, inline] =
      arg.startsWith("--") && arg.includes("=") ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    if (flag !== "--repo" && flag !== "--format")
      return { ok: false, message: `unexpected argument "${arg}"` };
    const value = inline ?? args[++i];
    if (value === undefined || value === "") {
      return {
        ok: false,
        message: flag === "--repo" ? "--repo needs a directory" : "--format needs dot or json",
      };
    }
    if (flag === "--repo") repo = value;
    else if ((formats as readonly string[]).includes(value)) format = value as Format;
    else return { ok: false, message: `unknown format "${value}"; use dot or json` };
  }
  return { ok: true, repo, format };
}

export async function main(args: string[]): Promise<number> {
  const parsed = parseGraphArgs(args);
  if (parsed.ok === "help") {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (!parsed.ok) {
    process.stderr.write(`terragate config graph: ${parsed.message}\n\n${usage}\n`);
    return 2;
  }
  if (!existsSync(parsed.repo)) {
    process.stderr.write(
      `terragate config graph: ${parsed.repo}: no such directory; pass the checkout with --repo\n`,
    );
    return 2;
  }
  const loaded = loadCheckout(parsed.repo);
  if (!loaded.ok) {
    process.stderr.write(`${loaded.problems.join("\n")}\n`);
    return 1;
  }
  const { checkout } = loaded;
  const { graph } = evaluateCheckout(checkout, []);
  const warnings = [
    ...formatIndexProblems(checkout),
    ...(graph.ok ? graph.warnings : graph.problems).map((problem) => formatGraphProblem(checkout, problem)),
  ];
  if (warnings.length > 0) process.stderr.write(`${warnings.join("\n")}\n`);
  if (!graph.ok) return 1;
  const json = stackGraphJson(graph.graph);
  process.stdout.write(`${parsed.format === "json" ? JSON.stringify(json) : stackGraphDot(json)}\n`);
  return 0;
}
