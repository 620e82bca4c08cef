// Tag query grammar: precedence, quoting, `in dir`, evaluation and error columns.
import { describe, expect, it } from "vitest";
import { caseDirspaces, label, tagQueryCases } from "../../test/fixtures/tag-query-cases.ts";
import {
  evaluateTagQuery,
  formatTagQuery,
  maxTagQueryDepth,
  parseTagQuery,
  type TagQuery,
  TagQueryError,
} from "./tag-query.ts";

const tag = (name: string): TagQuery => ({ kind: "tag", tag: name });

describe("parseTagQuery", () => {
  const cases: Array<[string, TagQuery]> = [
    ["", { kind: "all" }],
    ["   ", { kind: "all" }],
    ["prod", tag("prod")],
    ["dir:aws/vpc", tag("dir:aws/vpc")],
    ["dir:./aws//vpc/", tag("dir:aws/vpc")],
    ["dir:.", tag("dir:.")],
    ["a b", { kind: "and", operands: [tag("a"), tag("b")] }],
    ["a and b", { kind: "and", operands: [tag("a"), tag("b")] }],
    ["a AND b", { kind: "and", operands: [tag("a"), tag("b")] }],
    ["a or b and c", { kind: "or", operands: [tag("a"), { kind: "and", operands: [tag("b"), tag("c")] }] }],
    ["a and b or c", { kind: "or", operands: [{ kind: "and", operands: [tag("a"), tag("b")] }, tag("c")] }],
    ["a b or c", { kind: "or", operands: [{ kind: "and", operands: [tag("a"), tag("b")] }, tag("c")] }],
    ["(a or b) c", { kind: "and", operands: [{ kind: "or", operands: [tag("a"), tag("b")] }, tag("c")] }],
    ["not a b", { kind: "and", operands: [{ kind: "not", operand: tag("a") }, tag("b")] }],
    ["not a or b", { kind: "or", operands: [{ kind: "not", operand: tag("a") }, tag("b")] }],
    ["not not a", { kind: "not", operand: { kind: "not", operand: tag("a") } }],
    ["not (a or b)", { kind: "not", operand: { kind: "or", operands: [tag("a"), tag("b")] } }],
    ["((a))", tag("a")],
    ["((a or (b c)))", { kind: "or", operands: [tag("a"), { kind: "and", operands: [tag("b"), tag("c")] }] }],
    ["vpc in dir", { kind: "in-dir", segment: "vpc" }],
    ["vpc in dir and prod", { kind: "and", operands: [{ kind: "in-dir", segment: "vpc" }, tag("prod")] }],
    ["not vpc in dir", { kind: "not", operand: { kind: "in-dir", segment: "vpc" } }],
    ['"and"', tag("and")],
    ["'in' in dir", { kind: "in-dir", segment: "in" }],
    ['"two words"', tag("two words")],
    ['dir:"my dir/x"', tag("dir:my dir/x")],
    ["'it''s'", tag("its")],
    ['"say \\"hi\\""', tag('say "hi"')],
    ["'back\\\\slash'", tag("back\\slash")],
    ['""', tag("")],
    ["a(b)", { kind: "and", operands: [tag("a"), tag("b")] }],
  ];
  it.each(cases)("parses %j", (query, expected) => {
    expect(parseTagQuery(query)).toEqual(expected);
  });

  const errors: Array<[string, number, string]> = [
    ["(a", 1, "unclosed '('; add a ')'"],
    ["a and (b or (c)", 7, "unclosed '('; add a ')'"],
    ["a)", 2, "unexpected ')' without a matching '('"],
    ["(a))", 4, "unexpected ')' without a matching '('"],
    ["()", 1, "empty parentheses; put a tag inside or remove them"],
    ["a and", 6, "expected a tag after 'and', found the end of the query"],
    ["a or", 5, "expected a tag after 'or', found the end of the query"],
    ["not", 4, "expected a tag after 'not', found the end of the query"],
    ["a and or b", 7, "expected a tag after 'and', found 'or'"],
    ["a or )", 6, "expected a tag after 'or', found ')'"],
    ["and a", 1, "expected a tag before 'and'"],
    ["or", 1, "expected a tag before 'or'"],
    ["in dir", 1, "expected a tag before 'in'"],
    ["vpc in", 7, "expected 'dir' after 'in', as in 'vpc in dir'"],
    ["vpc in path", 8, "expected 'dir' after 'in', as in 'vpc in dir'"],
    ["(a) in dir", 5, "unexpected 'in'; 'in dir' follows a single tag, as in 'vpc in dir'"],
    ["a 'b", 3, "unterminated quote; close it with '"],
    ['x "y\\"', 3, 'unterminated quote; close it with "'],
    ["(a b", 1, "unclosed '('; add a ')'"],
    ["(a in dir x y", 1, "unclosed '('; add a ')'"],
  ];
  it.each(errors)("rejects %j at column %i", (query, column, reason) => {
    let caught: unknown;
    try {
      parseTagQuery(query);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TagQueryError);
    const error = caught as TagQueryError;
    expect({ column: error.column, reason: error.reason }).toEqual({ column, reason });
    expect(error.message).toBe(`${reason} (column ${column})`);
  });

  it("points at the offending column", () => {
    const error = (() => {
      try {
        parseTagQuery("a and )");
      } catch (caught) {
        return caught as TagQueryError;
      }
      throw new Error("expected a TagQueryError");
    })();
    expect(error.pointer()).toBe("a and )\n      ^");
  });

  it("accepts 64 levels of nesting and refuses the 65th, at its column", () => {
    const deep = (levels: number) => `${"(".repeat(levels)}a${")".repeat(levels)}`;
    expect(parseTagQuery(deep(maxTagQueryDepth))).toEqual(tag("a"));
    expect(parseTagQuery(`${"not ".repeat(maxTagQueryDepth)}a`).kind).toBe("not");
    for (const hostile of [deep(maxTagQueryDepth + 1), deep(50_000), `${"not ".repeat(50_000)}a`]) {
      let caught: unknown;
      try {
        parseTagQuery(hostile);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(TagQueryError);
      const error = caught as TagQueryError;
      expect(error.reason).toBe(
        "nested more than 64 levels deep (parentheses and 'not'); simplify the query",
      );
      expect(error.column).toBe(hostile.startsWith("not") ? 4 * maxTagQueryDepth + 1 : maxTagQueryDepth + 1);
    }
  });
});

describe("evaluateTagQuery", () => {
  const dirspace = new Set(["dir:aws/vpc/main", "workspace:prod", "aws", "prod"]);
  const cases: Array<[string, boolean]> = [
    ["", true],
    ["prod", true],
    ["staging", false],
    ["dir:aws/vpc/main", true],
    ["dir:aws/vpc", false],
    ["workspace:prod", true],
    ["aws prod", true],
    ["aws staging", false],
    ["staging or aws", true],
    ["not prod", false],
    ["not staging", true],
    ["not prod or aws", true],
    ["not (prod or aws)", false],
    ["vpc in dir", true],
    ["aws in dir", true],
    ["main in dir", true],
    ["aw in dir", false],
    ["aws/vpc in dir", false],
    ["staging or vpc in dir and prod", true],
    ["(staging or vpc in dir) and not aws", false],
  ];
  it.each(cases)("%j → %s", (query, expected) => {
    expect(evaluateTagQuery(parseTagQuery(query), dirspace)).toBe(expected);
  });

  it.each(tagQueryCases)(
    "shared case %j selects %j (the SQL translation answers the same)",
    (query, expected) => {
      const parsed = parseTagQuery(query);
      const selected = caseDirspaces.filter((dirspace) =>
        evaluateTagQuery(
          parsed,
          new Set([...dirspace.tags, `dir:${dirspace.dir}`, `workspace:${dirspace.workspace}`]),
        ),
      );
      expect(selected.map(label)).toEqual(expected);
    },
  );

  it("never matches `in dir` for a tag set without a dir", () => {
    expect(evaluateTagQuery(parseTagQuery("vpc in dir"), new Set(["vpc"]))).toBe(false);
  });
});

describe("formatTagQuery", () => {
  it.each([
    "a and b",
    "a or b and c",
    "(a or b) and c",
    "not (a and b)",
    "not (a or b) or c",
    '"two words" and "and"',
    "vpc in dir or not prod",
    'dir:"x\\"y"',
  ])("round-trips %j", (query) => {
    const ast = parseTagQuery(query);
    expect(parseTagQuery(formatTagQuery(ast))).toEqual(ast);
  });
});

describe("property: formatting then parsing gives the same query", () => {
  /** mulberry32: a seeded generator so a failure names a replayable seed. */
  function random(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const words = [
    "prod",
    "dir:aws/vpc",
    "and",
    "or",
    "not",
    "in",
    "two words",
    'q"uote',
    "back\\slash",
    "(x)",
    "'s'",
    "",
  ];

  it("round-trips 2000 random queries and evaluates them alike", () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const next = random(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
      const build = (depth: number): TagQuery => {
        const roll = depth === 0 ? next() * 0.4 : next();
        if (roll < 0.3) return { kind: "tag", tag: pick(words) };
        if (roll < 0.4) return { kind: "in-dir", segment: pick(["vpc", "aws", "in", "a b"]) };
        if (roll < 0.55) return { kind: "not", operand: build(depth - 1) };
        const operands = Array.from({ length: 2 + Math.floor(next() * 2) }, () => build(depth - 1));
        // A parser never produces an operand of the same kind (it flattens); do not generate one.
        const kind = roll < 0.8 ? "and" : "or";
        return {
          kind,
          operands: operands.flatMap((operand) => (operand.kind === kind ? operand.operands : [operand])),
        };
      };
      const query = build(4);
      const text = formatTagQuery(query);
      expect({ seed, text, parsed: parseTagQuery(text) }).toEqual({ seed, text, parsed: query });
      const tags = new Set(words.filter(() => next() < 0.5).concat(next() < 0.5 ? ["dir:aws/vpc"] : []));
      expect(evaluateTagQuery(parseTagQuery(text), tags)).toBe(evaluateTagQuery(query, tags));
    }
  });
});
