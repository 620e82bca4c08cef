// Git objects of the fake GitHub: content-addressed trees built from each commit's files, history, listing limits.
import type { components } from "@octokit/openapi-types";
import { fakeSha } from "./state.ts";

type TreeItem = components["schemas"]["git-tree"]["tree"][number];

/** One entry of a tree object: a file (blob) or a directory (tree), by name. */
interface ObjectEntry {
  name: string;
  type: "blob" | "tree";
  sha: string;
  size?: number;
}

/** GitHub's documented limits: a recursive tree listing stops at 100,000 entries or 7 MB; a PR lists 3,000 files. */
export interface GitListingLimits {
  treeEntries: number;
  treeBytes: number;
  pullFiles: number;
}

export const githubListingLimits: GitListingLimits = {
  treeEntries: 100_000,
  treeBytes: 7 * 1024 * 1024,
  pullFiles: 3000,
};

/**
 * Trees as git stores them: each directory an object whose sha depends only on its entries, so an
 * unchanged directory has the same sha in every commit. Commits remember their parent for merge bases.
 */
export class FakeGitObjects {
  readonly trees = new Map<string, ObjectEntry[]>();
  readonly rootTrees = new Map<string, string>();
  readonly parents = new Map<string, string | undefined>();
  /** Tree listing requests answered, recursive or not, for tests that count them. */
  treeRequests = 0;

  /** The root tree of a commit's files (built once per commit). */
  rootTree(commitSha: string, files: ReadonlyMap<string, string>): string {
    const known = this.rootTrees.get(commitSha);
    if (known) return known;
    const sha = this.build([...files.entries()], "");
    this.rootTrees.set(commitSha, sha);
    return sha;
  }

  private build(files: [string, string][], prefix: string): string {
    const children = new Map<string, [string, string][]>();
    const entries: ObjectEntry[] = [];
    for (const [path, content] of files) {
      const rest = path.slice(prefix.length);
      const slash = rest.indexOf("/");
      if (slash === -1) {
        entries.push({
          name: rest,
          type: "blob",
          sha: fakeSha(`blob:${content}`),
          size: Buffer.byteLength(content),
        });
      } else {
        const name = rest.slice(0, slash);
        children.set(name, [...(children.get(name) ?? []), [path, content]]);
      }
    }
    for (const [name, nested] of children) {
      entries.push({ name, type: "tree", sha: this.build(nested, `${prefix}${name}/`) });
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const sha = fakeSha(
      `tree:${entries.map((entry) => `${entry.type} ${entry.sha} ${entry.name}`).join("\n")}`,
    );
    this.trees.set(sha, entries);
    return sha;
  }

  /** Entries of a tree, or of every tree below it (pre-order, as `git ls-tree -r -t`), with paths. */
  list(treeSha: string, recursive: boolean, baseUrl: string, repo: string): TreeItem[] {
    const items: TreeItem[] = [];
    const visit = (sha: string, prefix: string): void => {
      for (const entry of this.trees.get(sha) ?? []) {
        const path = `${prefix}${entry.name}`;
        items.push({
          path,
          mode: entry.type === "tree" ? "040000" : "100644",
          type: entry.type,
          sha: entry.sha,
          ...(entry.size === undefined ? {} : { size: entry.size }),
          url: `${baseUrl}/repos/${repo}/git/${entry.type}s/${entry.sha}`,
        });
        if (recursive && entry.type === "tree") visit(entry.sha, `${path}/`);
      }
    };
    visit(treeSha, "");
    return items;
  }

  /** The nearest commit both histories contain (first-parent chains), or undefined. */
  mergeBase(base: string, head: string): string | undefined {
    const ancestors = new Set<string>();
    for (
      let sha: string | undefined = head;
      sha !== undefined && !ancestors.has(sha);
      sha = this.parents.get(sha)
    ) {
      ancestors.add(sha);
    }
    for (let sha: string | undefined = base; sha !== undefined; sha = this.parents.get(sha)) {
      if (ancestors.has(sha)) return sha;
    }
    return undefined;
  }
}

/** Cuts a recursive listing where GitHub would: past `treeEntries` entries or `treeBytes` of JSON. */
export function truncateListing(
  items: TreeItem[],
  limits: GitListingLimits,
): { tree: TreeItem[]; truncated: boolean } {
  let bytes = 0;
  for (let index = 0; index < items.length; index++) {
    bytes += JSON.stringify(items[index]).length + 1;
    if (index >= limits.treeEntries || bytes > limits.treeBytes)
      return { tree: items.slice(0, index), truncated: true };
  }
  return { tree: items, truncated: false };
}
