// The HCL parser: structure, templates, heredocs, comments, nested expressions, errors with line and column.
import { describe, expect, it } from "vitest";
import type { Body, Expression } from "./ast.ts";
import { parseHcl, templateLiteral } from "./parse.ts";

function parse(text: string): Body {
  const result = parseHcl(text);
  if (!result.ok) throw new Error(`${result.line}:${result.column}: ${result.message}`);
  return result.body;
}

function literal(expression: Expression | undefined): string | null {
  return expression?.kind === "template" ? templateLiteral(expression.parts) : null;
}

/** Blocks as `type label…` and their attribute names, recursively, to compare structure at a glance. */
function outline(body: Body): unknown[] {
  return [
    ...body.attributes.map((attribute) => attribute.name),
    ...body.blocks.map((block) => ({ [[block.type, ...block.labels].join(" ")]: outline(block.body) })),
  ];
}

describe("parseHcl", () => {
  it("reads blocks, labels, attributes and one-line blocks", () => {
    const body = parse(`
terraform { required_version = ">= 1.5" }
module "network" {
  source = "../../modules/network"
  cidr   = "10.0.0.0/16"
}
resource aws_s3_bucket "logs" {
  lifecycle {
    prevent_destroy = true
  }
}
locals {}
`);
    expect(outline(body)).toEqual([
      { terraform: ["required_version"] },
      { "module network": ["source", "cidr"] },
      { "resource aws_s3_bucket logs": [{ lifecycle: ["prevent_destroy"] }] },
      { locals: [] },
    ]);
    expect(literal(body.blocks[1]!.body.attributes[0]!.value)).toBe("../../modules/network");
  });

  it("is not fooled by braces, quotes and block-like text inside strings, heredocs and comments", () => {
    const body = parse(`
# module "fake" { source = "./nope" }
// module "fake2" { source = "./nope" }
/* module "fake3" {
  source = "./nope"
} */
locals {
  a = "} { \\" module \\"x\\" { source = \\"./nope\\" }"
  b = "\${jsonencode({ source = "./nope", nested = ["}", "{"] })}"
  c = <<-EOT
    module "fake4" {
      source = "./nope"
    }
    \${upper("}")}
    EOT
  d = <<EOT
%{ for x in ["a", "b"] ~}
\${x}
%{ endfor ~}
EOT
  e = "$\${not_interpolated} %%{ not_a_directive }"
}
module "real" {
  source = "./real" # trailing comment
}
`);
    expect(outline(body)).toEqual([{ locals: ["a", "b", "c", "d", "e"] }, { "module real": ["source"] }]);
    const locals = body.blocks[0]!.body.attributes;
    expect(literal(locals[0]!.value)).toBe('} { " module "x" { source = "./nope" }');
    expect(literal(locals[4]!.value)).toBe(`$\{not_interpolated} %{ not_a_directive }`);
    expect(literal(body.blocks[1]!.body.attributes[0]!.value)).toBe("./real");
  });

  it("parses nested expressions: calls, for expressions, splats, conditionals, operators, namespaced functions", () => {
    const body = parse(`
locals {
  a = [for s in var.list : upper(s) if s != ""]
  b = { for k, v in var.map : k => v... if v != null }
  c = var.enabled ? module.x[0].id : null
  d = aws_instance.web[*].id
  e = aws_instance.web.*.private_ip
  f = var.list.0.name
  g = -1 + 2 * (3 - 4) / 5 % 6 >= 7 && !true || false == null
  h = merge(var.tags, {
    Name = "x-\${var.name}"
    "quoted key" = 1,
    (var.key) = 2
    other: 3
  })
  i = provider::aws::arn_parse("arn:aws:iam::123456789012:role/x").account_id
  j = concat(var.a, var.b...)
  k = 1.5e3
  l = try(
    var.a,
    var.b,
  )
  m = [
    1,
    2,
  ]
  n = x-y
}
`);
    const attributes = body.blocks[0]!.body.attributes;
    expect(attributes.map((attribute) => attribute.name)).toEqual("abcdefghijklmn".split(""));
    expect(attributes[10]!.value).toMatchObject({ kind: "literal", value: 1500 });
    expect(attributes[13]!.value).toMatchObject({ kind: "variable", name: "x-y" });
    expect(attributes[8]!.value).toMatchObject({
      kind: "get-attribute",
      name: "account_id",
      object: { kind: "call", name: "provider::aws::arn_parse" },
    });
  });

  it("accepts CRLF line endings and a byte order mark", () => {
    const body = parse('\uFEFFmodule "x" {\r\n  source = "./y"\r\n}\r\n');
    expect(literal(body.blocks[0]!.body.attributes[0]!.value)).toBe("./y");
  });

  it("reports the line and column of syntax errors", () => {
    expect(parseHcl('module "x" {\n  source = "a"\n  oops =\n}\n')).toEqual({
      ok: false,
      line: 3,
      column: 9,
      message: "expected an expression but the line ended",
    });
    expect(parseHcl('locals {\n  a = "unterminated\n}\n')).toMatchObject({
      ok: false,
      line: 2,
      column: 7,
      message: "this string is not closed before the end of the line",
    });
    expect(parseHcl('module "x" {\n  source = "a"\n')).toMatchObject({ ok: false, line: 1, column: 12 });
    expect(parseHcl("locals {\n  a = <<EOT\nno end\n}\n")).toMatchObject({ ok: false, line: 2, column: 7 });
    expect(parseHcl("a = 1 b = 2\n")).toMatchObject({ ok: false, line: 1, column: 7 });
    expect(parseHcl('a = "\\q"\n')).toMatchObject({ ok: false, message: expect.stringContaining("escape") });
    expect(parseHcl("}\n")).toMatchObject({ ok: false, line: 1, column: 1 });
    expect(parseHcl(`resource "x" "$\{var.y}" {}\n`)).toMatchObject({ ok: false, line: 1, column: 14 });
  });

  it("refuses hostile nesting instead of overflowing the stack", () => {
    const deep = `a = ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`;
    expect(parseHcl(deep)).toMatchObject({ ok: false, message: expect.stringContaining("nested more than") });
    const deepBlocks = `${"a {\n".repeat(50_000)}${"}\n".repeat(50_000)}`;
    expect(parseHcl(deepBlocks)).toMatchObject({
      ok: false,
      message: expect.stringContaining("nested more than"),
    });
  });
});
