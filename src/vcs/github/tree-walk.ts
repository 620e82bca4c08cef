// Reads git trees of any size through a listing API that truncates: by subtrees, in parallel, skipping equal shas.
import { vendoredDirNames } from "../../domain/paths.ts";

/** One entry of a tree listing, its path relative to the listed tree. */
export interface TreeEntry {
  path: string;
  type: "blob" | "tree" | "commit";
  sha: string;
}

/** A listing as GitHub gives it: recursive ones stop at a limit and say so with `truncated`. */
export interface TreeListing {
  entries: TreeEntry[];
  truncated: boolean;
}

export type FetchTree = (treeish: string, recursive: boolean) => Promise<TreeListing>;

/** Vendored and cache directories are not listed (the same ones a checkout walk skips). */
const skippedTreeDirs = vendoredDirNames;

function skipped(path: string): boolean {
  for (const segment of path.split("/")) if (skippedTreeDirs.has(segment)) return true;
  return false;
}

/** At most `limit` calls of `run` at once; a waiting call holds no slot, so nested use cannot deadlock. */
export function createLimiter(limit: number): <T>(run: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (run) => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await run();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

export interface TreeReader {
  /** Every file (blob) path under a commit or tree. */
  listFiles(treeish: string): Promise<string[]>;
  /** Every file (blob) under a commit or tree, by path, with its blob sha. */
  listBlobs(treeish: string): Promise<Map<string, string>>;
  /** Paths that differ between two commits or trees: added, removed or changed files. */
  diff(base: string, head: string): Promise<string[]>;
}

/**
 * Lists with one recursive request when it fits; when the answer is truncated, lists the tree's own
 * entries and each subtree the same way. A diff compares two recursive listings when both fit, and
 * otherwise goes down only into subtrees whose shas differ.
 */
export function createTreeReader(fetchTree: FetchTree, concurrency = 8): TreeReader {
  const limit = createLimiter(concurrency);
  const get = (treeish: string, recursive: boolean) => limit(() => fetchTree(treeish, recursive));
  const prefixed = (prefix: string, path: string) => (prefix === "" ? path : `${prefix}/${path}`);

  /** Every file (blob) under a tree as [path, blob sha]. */
  const listBlobs = async (treeish: string, prefix: string): Promise<[string, string][]> => {
    const listing = await get(treeish, true);
    if (!listing.truncated) {
      return listing.entries
        .filter((entry) => entry.type === "blob" && !skipped(entry.path))
        .map((entry) => [prefixed(prefix, entry.path), entry.sha]);
    }
    const top = await get(treeish, false);
    const files = top.entries
      .filter((entry) => entry.type === "blob")
      .map((entry): [string, string] => [prefixed(prefix, entry.path), entry.sha]);
    const subtrees = top.entries.filter((entry) => entry.type === "tree" && !skippedTreeDirs.has(entry.path));
    const nested = await Promise.all(
      subtrees.map((tree) => listBlobs(tree.sha, prefixed(prefix, tree.path))),
    );
    return files.concat(...nested);
  };
  const listFiles = async (treeish: string, prefix: string): Promise<string[]> =>
    (await listBlobs(treeish, prefix)).map(([path]) => path);

  const flatDiff = (base: TreeListing, head: TreeListing, prefix: string): string[] => {
    const files = (listing: TreeListing) =>
      new Map(
        listing.entries
          .filter((entry) => entry.type !== "tree" && !skipped(entry.path))
          .map((entry) => [entry.path, entry.sha]),
      );
    const before = files(base);
    const after = files(head);
    const changed: string[] = [];
    for (const [path, sha] of before) if (after.get(path) !== sha) changed.push(prefixed(prefix, path));
    for (const path of after.keys()) if (!before.has(path)) changed.push(prefixed(prefix, path));
    return changed;
  };

  const diff = async (base: string, head: string, prefix: string): Promise<string[]> => {
    if (base === head) return [];
    const [baseListing, headListing] = await Promise.all([get(base, true), get(head, true)]);
    if (!baseListing.truncated && !headListing.truncated) return flatDiff(baseListing, headListing, prefix);
    const [baseTop, headTop] = await Promise.all([get(base, false), get(head, false)]);
    const before = new Map(baseTop.entries.map((entry) => [entry.path, entry]));
    const after = new Map(headTop.entries.map((entry) => [entry.path, entry]));
    const work: Promise<string[]>[] = [];
    const whole = (entry: TreeEntry, path: string): Promise<string[]> =>
      entry.type === "tree" ? listFiles(entry.sha, path) : Promise.resolve([path]);
    for (const name of new Set([...before.keys(), ...after.keys()])) {
      if (skippedTreeDirs.has(name)) continue;
      const old = before.get(name);
      const now = after.get(name);
      const path = prefixed(prefix, name);
      if (old && now && old.sha === now.sha) continue;
      if (old?.type === "tree" && now?.type === "tree") work.push(diff(old.sha, now.sha, path));
      else {
        if (old) work.push(whole(old, path));
        if (now) work.push(whole(now, path));
      }
    }
    return [...new Set((await Promise.all(work)).flat())];
  };

  return {
    listFiles: (treeish) => listFiles(treeish, ""),
    listBlobs: async (treeish) => new Map(await listBlobs(treeish, "")),
    diff: (base, head) => diff(base, head, ""),
  };
}
