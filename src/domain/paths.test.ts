// Path normalization: one normal form, and unsafe paths rejected with a reason.
import { describe, expect, it } from "vitest";
import { checkPath, dirnameOf, isNormalPath, joinPath, normalizePath, PathError } from "./paths.ts";

describe("normalizePath", () => {
  it.each([
    ["a/b", "a/b"],
    ["./a/b", "a/b"],
    ["a//b/", "a/b"],
    ["a/./b/.", "a/b"],
    [".", "."],
    ["", "."],
    ["./", "."],
    ["a/.b/c..d", "a/.b/c..d"],
    ["...", "..."],
  ])("%j → %j", (input, expected) => {
    expect(normalizePath(input)).toBe(expected);
  });

  it.each([
    ["../a", "it contains `..`; paths must stay inside the repository"],
    ["a/../../b", "it contains `..`; paths must stay inside the repository"],
    ["a/..", "it contains `..`; paths must stay inside the repository"],
    ["/etc/passwd", "it is absolute; write it relative to the repository root"],
    ["C:/x", "it is absolute; write it relative to the repository root"],
    ["a\\b", "it contains a backslash; separate directories with / instead"],
    ["a\0b", "it contains a NUL byte"],
  ])("rejects %j", (input, reason) => {
    expect(checkPath(input)).toEqual({ ok: false, reason });
    expect(() => normalizePath(input)).toThrow(new PathError(input, reason));
    expect(() => normalizePath(input)).toThrow(`invalid path ${JSON.stringify(input)}: ${reason}`);
  });

  it("agrees with its fast check", () => {
    for (const path of ["a/b", ".", "a", ".terraform.lock.hcl", "a/.x", "x./y"]) {
      expect(isNormalPath(path)).toBe(true);
      expect(normalizePath(path)).toBe(path);
    }
    for (const path of ["./a", "a/", "a//b", "/a", "a/../b", "a\\b", "", "a/./b", "..", "a\0"]) {
      expect(isNormalPath(path)).toBe(false);
    }
  });
});

describe("path helpers", () => {
  it("splits and joins", () => {
    expect(dirnameOf("a/b/main.tf")).toBe("a/b");
    expect(dirnameOf("main.tf")).toBe(".");
    expect(joinPath(".", "main.tf")).toBe("main.tf");
    expect(joinPath("a", "main.tf")).toBe("a/main.tf");
    expect(joinPath("a", "")).toBe("a");
    expect(joinPath(".", "")).toBe(".");
  });
});
