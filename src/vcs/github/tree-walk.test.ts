// The tree reader over an in-memory object store: truncated walks, diffs that skip equal shas, bounded parallelism.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createTreeReader, type FetchTree, type TreeEntry } from "./tree-walk.ts";

/** Git-like objects from file maps: every directory a tree whose sha depends only on its entries. */
function store(limit: number) {
  const trees = new Map<string, TreeEntry[]>();
  const sha = (text: string) => createHash("sha1").update(text).digest("hex");
  const build = (files: Record<string, string>): string => {
    const here: TreeEntry[] = [];
    const children = new Map<string, Record<string, string>>();
    for (const [path, content] of Object.entries(files)) {
      const [head, ...rest] = path.split("/");
      if (rest.length === 0) here.push({ path: head!, type: "blob", sha: sha(`b${content}`) });
      else children.set(head!, { ...(children.get(head!) ?? {}), [rest.join("/")]: content });
    }
    for (const [name, nested] of children) here.push({ path: name, type: "tree", sha: build(nested) });
    const id = sha(JSON.stringify(here));
    trees.set(id, here);
    return id;
  };
  const requested: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const fetchTree: FetchTree = async (treeish, recursive) => {
    requested.push(`${treeish}${recursive ? " -r" : ""}`);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 1));
    inFlight--;
    const entries: TreeEntry[] = [];
    const visit = (id: string, prefix: string) => {
      for (const entry of trees.get(id) ?? []) {
        entries.push({ ...entry, path: prefix + entry.path });
        if (recursive && entry.type === "tree") visit(entry.sha, `${prefix}${entry.path}/`);
      }
    };
    visit(treeish, "");
    return entries.length > limit && recursive
      ? { entries: entries.slice(0, limit), truncated: true }
      : { entries, truncated: false };
  };
  return { build, fetchTree, requested, maxInFlight: () => maxInFlight };
}

const many = (prefix: string, count: number) =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`${prefix}/f${i}.tf`, `${prefix}${i}`]));

describe("createTreeReader", () => {
  it("lists a truncated tree completely, without vendored dirs, at most `concurrency` requests at once", async () => {
    const objects = store(10);
    const files = {
      ...many("a/x", 8),
      ...many("a/y", 8),
      ...many("b", 8),
      "node_modules/m/main.tf": "",
      top: "",
    };
    const root = objects.build(files);
    const listed = await createTreeReader(objects.fetchTree, 2).listFiles(root);
    expect(listed.sort()).toEqual(
      Object.keys(files)
        .filter((path) => !path.startsWith("node_modules"))
        .sort(),
    );
    expect(objects.maxInFlight()).toBeLessThanOrEqual(2);
  });

  it("diffs two truncated trees: removed subtrees, a file become a directory, and equal subtrees never listed", async () => {
    const objects = store(10);
    const before = { ...many("same", 20), ...many("gone", 3), "kind/x": "file", "keep/a.tf": "1" };
    const after = { ...many("same", 20), "kind/x/inner.tf": "now a dir", "keep/a.tf": "2", "new.tf": "" };
    const base = objects.build(before);
    const head = objects.build(after);
    const changed = await createTreeReader(objects.fetchTree).diff(base, head);
    expect(changed.sort()).toEqual(
      ["gone/f0.tf", "gone/f1.tf", "gone/f2.tf", "keep/a.tf", "kind/x", "kind/x/inner.tf", "new.tf"].sort(),
    );
    // The `same` directory's own tree object (same entries on both sides, so one sha).
    const sameSha = objects.build(
      Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}.tf`, `same${i}`])),
    );
    const keepSha = objects.build({ "a.tf": "2" });
    expect(objects.requested.filter((request) => request.startsWith(sameSha))).toEqual([]);
    expect(objects.requested.filter((request) => request.startsWith(keepSha))).not.toEqual([]);
  });
});
