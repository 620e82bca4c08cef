// Lock policy decisions for apply, merge and close, and which held locks block an apply.
import { describe, expect, it } from "vitest";
import { blockingLocks, locksOnApply, locksOnMerge, releasesLocksOn } from "./locks.ts";

const a = { dir: "a", workspace: "default" };
const b = { dir: "b", workspace: "default" };
const bProd = { dir: "b", workspace: "prod" };

describe("lock policy", () => {
  it.each([
    ["apply", [a]],
    ["strict", [a, b, bProd]],
    ["merge", []],
    ["none", []],
  ] as const)("an apply of one dirspace under %s locks %j", (policy, expected) => {
    expect(locksOnApply(policy, [a, a], [a, b, bProd])).toEqual(expected);
  });

  it("locks unapplied dirspaces on merge only under the merge policy", () => {
    expect(locksOnMerge("merge", [b, b])).toEqual([b]);
    expect(locksOnMerge("apply", [b])).toEqual([]);
    expect(releasesLocksOn("merge", "merged")).toBe(false);
    expect(releasesLocksOn("merge", "closed")).toBe(true);
    expect(releasesLocksOn("apply", "merged")).toBe(true);
  });

  it("is blocked only by other PRs' locks on the requested dirspaces", () => {
    const held = [
      { ...a, pullRequest: 17 },
      { ...b, pullRequest: 42 },
      { ...bProd, pullRequest: 18 },
    ];
    expect(blockingLocks([a, b], held, 42)).toEqual([{ ...a, pullRequest: 17 }]);
    expect(blockingLocks([b], held, 42)).toEqual([]);
  });
});
