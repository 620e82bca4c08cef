import { describe, expect, it } from "vitest";
import { dirspaceList, dirspaceName, inlineCode, shortList } from "./markdown.ts";
import { renderRefusal } from "./refusal.ts";
import { renderUnlocked } from "./replies.ts";
import { renderRunNotes } from "./run-notes.ts";

const dirspaces = (count: number) =>
  Array.from({ length: count }, (_, index) => ({ dir: `infra/d${index + 1}`, workspace: "default" }));

describe("dirspace names in comments", () => {
  it("names a dirspace as inline code and its workspace, and keeps a backtick in a dir from closing the code", () => {
    expect(dirspaceName({ dir: "infra/a", workspace: "prod" })).toBe("`infra/a` (prod)");
    expect(dirspaceName({ dir: "infra/`rm -rf`", workspace: "<b>w</b>" })).toBe(
      "`infra/'rm -rf'` (&lt;b&gt;w&lt;/b&gt;)",
    );
    expect(inlineCode("a`b``c")).toBe("`a'b''c`");
  });

  it("lists at most ten, then says how many more", () => {
    expect(dirspaceList(dirspaces(2))).toBe("`infra/d1` (default), `infra/d2` (default)");
    const long = dirspaceList(dirspaces(12));
    expect(long).toContain("`infra/d10` (default) and 2 more");
    expect(long).not.toContain("infra/d11");
    expect(shortList(["a", "b", "c"], " · ", 2)).toBe("a · b and 1 more");
    expect(shortList([])).toBe("");
  });

  it("is the same phrase in a refusal, an unlock reply and the run notes", () => {
    const many = dirspaces(12);
    const refusal = renderRefusal({
      prNumber: 7,
      action: "apply",
      dirspaces: many,
      problems: [{ rule: "no_plan", dirspaces: many }],
      pullRequest: { headSha: "a".repeat(40), baseSha: "b".repeat(40) },
      requestedBy: "alice",
      defaultBranch: "main",
      words: { changeRequestShort: "PR", reference: (number) => `#${number}` },
    });
    const unlocked = renderUnlocked(
      7,
      many.map((dirspace) => ({ ...dirspace, pullRequestNumber: 3 })),
      [3],
    );
    const notes = renderRunNotes(
      {
        reasons: [],
        layers: [],
        waits: [{ dirspace: { dir: "app", workspace: "default" }, waitsFor: many }],
        indexErrors: [],
      },
      new Map(),
    );
    const phrase = dirspaceList(many);
    expect(refusal).toContain(`**Cannot apply** ${phrase}`);
    expect(refusal).toContain(`no plan for ${phrase} in this PR`);
    expect(unlocked).toContain(`- #3: ${phrase}`);
    expect(notes).toContain(`was planned before ${phrase} were applied`);
  });
});
