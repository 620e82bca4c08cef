// Globs: `*` stays within a segment, `**` spans any depth (including none), and the lookup shape.
import { describe, expect, it } from "vitest";
import { compileGlob } from "./glob.ts";
import { referenceGlobMatch } from "./match-reference.ts";

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

  it("rejects globs that leave the repository", () => {
    expect(() => compileGlob("../*")).toThrow('invalid glob "../*": it contains `..`');
    expect(() => compileGlob("/abs/*")).toThrow("it is absolute");
  });
});
