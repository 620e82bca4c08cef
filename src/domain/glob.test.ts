// Globs: `*` stays within a segment, `**` spans any depth, `[a-z]` and `{a,b}`, unsupported syntax refused, and the lookup shape.
import { describe, expect, it } from "vitest";
import { compileGlob, escapeGlobLiteral, globProblem, matchesBranch } from "./glob.ts";
import { expandBraces, maxBraceExpansions } from "./glob-syntax.ts";
import { referenceGlobMatch } from "./match-reference.ts";

const D = "$" + "{DIR}";

describe("compileGlob", () => {
  const cases: Array<[string, string, boolean]> = [
    ["infra/*", "infra/a", true],
    ["infra/*", "infra/a/b", false],
    ["infra/*", "infra", false],
    ["infra/**", "infra", true],
    ["infra/**", "infra/a/b/c", true],
    ["infra/**", "infrastructure/a", false],
    ["**/modules/**", "modules", true],
    ["**/modules/**", "modules/x", true],
    ["**/modules/**", "a/b/modules/x/y", true],
    ["**/modules/**", "a/mymodules/x", false],
    ["**/modules/**", "a/modules-x/y", false],
    ["**/*.tf", "main.tf", true],
    ["**/*.tf", "a/b/main.tf", true],
    ["**/*.tf", "a/b/main.tfvars", false],
    ["a/**/b", "a/b", true],
    ["a/**/b", "a/x/y/b", true],
    ["a/**/**/b", "a/x/b", true],
    ["a/**/b", "a/xb", false],
    ["*.tf", ".terraform.lock.hcl", false],
    ["*.tf", "main.tf", true],
    ["*.tf", "dir/main.tf", false],
    ["env-?/*", "env-1/x", true],
    ["env-?/*", "env-12/x", false],
    ["a.b/c+d(e)", "a.b/c+d(e)", true],
    ["a.b/c", "axb/c", false],
    ["./x/*.tf", "x/a.tf", true],
    ["**", "anything/at/all", true],
    ["*/*", "a/b", true],
    ["*/*", "a", false],
    ["*.{tf,tfvars}", "main.tf", true],
    ["*.{tf,tfvars}", "prod.tfvars", true],
    ["*.{tf,tfvars}", "x.tofu", false],
    ["*.{tf,tfvars}", "a/main.tf", false],
    ["{infra,platform}/*", "platform/x", true],
    ["{infra,platform}/*", "other/x", false],
    ["{a/b,c}/*.tf", "a/b/x.tf", true],
    ["{a/b,c}/*.tf", "c/x.tf", true],
    ["{a/b,c}/*.tf", "a/x.tf", false],
    ["x{,.bak}", "x", true],
    ["x{,.bak}", "x.bak", true],
    ["{a,{b,c}}/m", "c/m", true],
    ["{a,b}{1,2}", "b1", true],
    ["{a,b}{1,2}", "ab", false],
    ["a{,/b}", "a", true],
    ["a{,/b}", "a/b", true],
    ["[a-z]*.hcl", "terragrunt.hcl", true],
    ["[a-z]*.hcl", "Root.hcl", false],
    ["[a-z]*.hcl", "_x.hcl", false],
    ["env-[0-9]/*", "env-7/x", true],
    ["env-[0-9]/*", "env-x/x", false],
    ["env-[!0-9]", "env-x", true],
    ["env-[!0-9]", "env-1", false],
    ["env-[^0-9]", "env-x", true],
    ["a[!x]b", "a/b", false],
    ["[]x]", "]", true],
    ["[]x]", "x", true],
    ["[!]]", "]", false],
    ["[*]", "*", true],
    ["[*]", "x", false],
    ["{[a-c],z}.tf", "b.tf", true],
    ["{[a-c],z}.tf", "z.tf", true],
    ["{[a-c],z}.tf", "d.tf", false],
    ["[{]x[}]", "{x}", true],
  ];
  it.each(cases)("%j on %j → %s", (pattern, path, expected) => {
    expect(compileGlob(pattern).test(path)).toBe(expected);
    expect(referenceGlobMatch(pattern, path)).toBe(expected);
  });

  it.each([
    ["infra/aws/vpc", "infra/aws/vpc", "literal"],
    ["infra/*", "infra", "one-segment"],
    ["infra/*/main.tf", "infra", "fixed-depth"],
    ["infra/**/*.tf", "infra", "deep"],
    ["*.tf", "", "one-segment"],
  ] as const)("%j has prefix %j and shape %s", (pattern, prefix, shape) => {
    const glob = compileGlob(pattern);
    expect({ prefix: glob.prefix, shape: glob.shape }).toEqual({ prefix, shape });
  });

  it.each([
    ["{infra,platform}/*", "", "fixed-depth"],
    ["infra/*.{tf,tfvars}", "infra", "one-segment"],
    ["infra/{a,b}/main.tf", "infra", "fixed-depth"],
    ["infra/{a,b/**}/main.tf", "infra", "deep"],
    ["infra/{a,a}", "infra/a", "literal"],
    ["infra/a{,/b}", "infra/a", "deep"],
    ["infra/[ab]/x", "infra", "fixed-depth"],
  ] as const)("%j (braces or classes) has prefix %j and shape %s", (pattern, prefix, shape) => {
    const glob = compileGlob(pattern);
    expect({ prefix: glob.prefix, shape: glob.shape }).toEqual({ prefix, shape });
  });

  it("rejects globs that leave the repository", () => {
    expect(() => compileGlob("../*")).toThrow('invalid glob "../*": it contains `..`');
    expect(() => compileGlob("/abs/*")).toThrow("it is absolute");
  });
});

describe("glob syntax the config does not support", () => {
  it.each([
    ["{a", "unclosed `{`; close the alternatives with `}` (character 1)"],
    ["a}", "unmatched `}` (character 2)"],
    ["[a-z", "unclosed `[`; close the character class with `]` (character 1)"],
    ["{tf}", "{tf} has one alternative; list at least two separated by commas ({a,b}) (character 1)"],
    [
      "{DIR}/*.tf",
      `{DIR} has one alternative; list at least two separated by commas ({a,b}), or write ${D} for the dir (character 1)`,
    ],
    ["env-{1..3}", "ranges such as {1..3} are not supported; list the values: {a,b,c} (character 5)"],
    [
      "@(a|b)/x",
      "extended globs such as @(a|b) or !(x) are not supported; use {a,b} for alternatives (character 1)",
    ],
    [
      "a/*(x)",
      "extended globs such as @(a|b) or !(x) are not supported; use {a,b} for alternatives (character 3)",
    ],
    [
      "[[:alpha:]]x",
      "POSIX classes such as [[:alpha:]] are not supported; write the range instead, e.g. [a-zA-Z] (character 1)",
    ],
    ["a[z-a]", "the range z-a in a character class is reversed; write a-z (character 2)"],
    ["a[/]b", "a character class cannot match `/`; use a separate path segment (character 2)"],
    [`${D}/x`, `${D} is not a glob; placeholders exist only in when_modified.file_patterns (character 1)`],
    ["{a,..}/x", "it contains `..`; paths must stay inside the repository"],
  ])("%j: %s", (pattern, reason) => {
    expect(globProblem(pattern)).toBe(reason);
    expect(() => compileGlob(pattern)).toThrow(`invalid glob ${JSON.stringify(pattern)}`);
  });

  it(`accepts ${D} only where a placeholder is allowed, and no other placeholder`, () => {
    expect(globProblem(`${D}/*.{tf,tfvars}`, `${D}`)).toBeUndefined();
    expect(globProblem(`{${D},shared}/*.tf`, `${D}`)).toBeUndefined();
    expect(globProblem(`$\{ENV}/*.tf`, `${D}`)).toBe(
      `unknown placeholder $\{ENV}; the only one is ${D} (character 1)`,
    );
  });

  it("refuses a pattern that expands to too many globs", () => {
    const pattern = Array.from({ length: 9 }, () => "{a,b}").join("");
    expect(globProblem(pattern)).toBe(
      `expands to more than ${maxBraceExpansions} patterns; use fewer or smaller {…} groups`,
    );
    expect(expandBraces(Array.from({ length: 8 }, () => "{a,b}").join(""))).toHaveLength(256);
  });
});

describe("escapeGlobLiteral", () => {
  it.each(["a[1]", "x*y", "q?", "{a,b}", "f(x)", "]", "plain/dir"])("%j matches only itself", (path) => {
    const glob = compileGlob(escapeGlobLiteral(path));
    expect(glob.test(path)).toBe(true);
    expect(glob.test(`${path}x`)).toBe(false);
    expect(referenceGlobMatch(escapeGlobLiteral(path), path)).toBe(true);
  });
});

describe("matchesBranch", () => {
  it.each([
    [["main"], "main", true],
    [["main"], "main2", false],
    [["release/*"], "release/1.0", true],
    [["release/*"], "release/1.0/hotfix", false],
    [["release/**"], "release/1.0/hotfix", true],
    [["*"], "feature/x", false],
    [["*"], "develop", true],
    [["release-*"], "release-1", true],
    [["{main,develop}"], "develop", true],
    [["env/[a-z]*"], "env/prod", true],
    [["env/[a-z]*"], "env/Prod", false],
    [["a.b"], "axb", false],
  ])("%j on %j → %s", (patterns, branch, expected) => {
    expect(matchesBranch(patterns, branch)).toBe(expected);
  });
});
