import { describe, expect, test } from "vitest";
import {
  parseVersion,
  parseVersionConstraint,
  satisfies,
  VersionConstraintError,
} from "./version-constraint.ts";

function meets(version: string, constraint: string): boolean {
  return satisfies(parseVersion(version)!, parseVersionConstraint(constraint));
}

describe("version constraints", () => {
  test.each([
    ["1.11.4", "~> 1.11", true],
    ["1.12.0", "~> 1.11", true],
    ["2.0.0", "~> 1.11", false],
    ["1.11.9", "~> 1.11.0", true],
    ["1.12.0", "~> 1.11.0", false],
    ["1.11.3", "~> 1.11.4", false],
    ["1.5.0", ">= 1.2, < 2.0", true],
    ["2.0.0", ">= 1.2, < 2.0", false],
    ["1.1.9", ">= 1.2, < 2.0", false],
    ["1.6.1", "1.6.1", true],
    ["1.6.2", "= 1.6.1", false],
    ["1.6", "= 1.6.0", true],
    ["1.4.0", "!= 1.4.0", false],
    ["1.4.1", "!= 1.4.0", true],
    ["1.4.0", "> 1.4", false],
    ["1.4.0", "<= 1.4", true],
    ["1.6.0-rc1", ">= 1.5", false],
    ["1.6.0-rc2", ">= 1.6.0-rc1", true],
    ["1.6.0-beta", "< 1.6.0-rc1", true],
    ["1.6.0", "> 1.6.0-rc1", true],
    ["v1.7.0", "~> 1", true],
  ])("%s meets %s: %s", (version, constraint, expected) => {
    expect(meets(version, constraint)).toBe(expected);
  });

  test.each([[""], [" , "], ["~>"], ["latest"], [">= 1.2 < 2"], ["=> 1.0"], ["1.2.3.4"]])(
    "%j is refused with a sentence naming the term",
    (text) => {
      expect(() => parseVersionConstraint(text)).toThrow(VersionConstraintError);
      if (text.trim().replace(",", "").trim() !== "") {
        expect(() => parseVersionConstraint(text)).toThrow(/is not a version constraint/);
      }
    },
  );
});
