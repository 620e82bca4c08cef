// Trees and PR change sets of any size from GitHub: listings past 100,000 entries, PRs past 3,000 files.
import { VcsError } from "../types.ts";
import type { GithubOctokit } from "./provider.ts";
import { createTreeReader, type TreeEntry, type TreeListing } from "./tree-walk.ts";

/** GitHub lists at most this many files of a pull request (30 pages of 100). */
export const pullRequestFilesLimit = 3000;
/** The most files GitHub lists per page. */
const filesPerPage = 100;

const objectId = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * Tree listings by repository and object id, shared by a process's providers. Only listings named by
 * an object id are kept (a branch name moves); a git object never changes, so entries never go stale.
 * Bounded by the number of entries held, since one listing can hold 100,000.
 */
export class TreeListingCache {
  private readonly listings = new Map<string, TreeListing>();
  private held = 0;
  private readonly maxEntries: number;

  constructor(maxEntries = 400_000) {
    this.maxEntries = maxEntries;
  }

  get(key: string): TreeListing | undefined {
    const listing = this.listings.get(key);
    if (listing) {
      this.listings.delete(key);
      this.listings.set(key, listing);
    }
    return listing;
  }

  set(key: string, listing: TreeListing): void {
    if (listing.entries.length > this.maxEntries / 4) return;
    const previous = this.listings.get(key);
    if (previous) this.held -= previous.entries.length;
    this.listings.delete(key);
    this.listings.set(key, listing);
    this.held += listing.entries.length;
    for (const [oldest, value] of this.listings) {
      if (this.held <= this.maxEntries) break;
      this.listings.delete(oldest);
      this.held -= value.entries.length;
    }
  }
}

/** The paths of a PR's file listing: a rename gives both. */
function pathsOf(files: Array<{ filename: string; previous_filename?: string }>): string[] {
  const paths = new Set<string>();
  for (const file of files) {
    paths.add(file.filename);
    if (file.previous_filename) paths.add(file.previous_filename);
  }
  return [...paths];
}

function entryType(type: string): TreeEntry["type"] {
  return type === "tree" ? "tree" : type === "commit" ? "commit" : "blob";
}

export interface GitTrees {
  listFiles(treeish: string): Promise<string[]>;
  /** Every file by path, with its blob sha. */
  listBlobs(treeish: string): Promise<Map<string, string>>;
  /** Every path a PR changes (a rename gives both paths), however many files it touches. */
  changedFiles(prNumber: number): Promise<string[]>;
}

export function createGitTrees(
  octokit: GithubOctokit,
  owner: string,
  repo: string,
  cache: TreeListingCache,
): GitTrees {
  const base = { owner, repo };
  const fetchTree = async (treeish: string, recursive: boolean): Promise<TreeListing> => {
    const key = `${owner}/${repo}\0${treeish}\0${recursive ? "r" : ""}`;
    const cached = objectId.test(treeish) ? cache.get(key) : undefined;
    if (cached) return cached;
    // GitHub lists recursively when `recursive` is present at all, whatever its value.
    const { data } = await octokit.rest.git.getTree({
      ...base,
      tree_sha: treeish,
      ...(recursive ? { recursive: "1" } : {}),
    });
    if (!recursive && data.truncated) {
      throw new VcsError(
        `a directory of ${owner}/${repo} (tree ${treeish}) holds more entries than GitHub lists at once`,
        "invalid",
        null,
      );
    }
    const listing: TreeListing = data.truncated
      ? { entries: [], truncated: true } // a cut listing is only good for knowing it was cut
      : {
          entries: data.tree.map((entry) => ({
            path: entry.path,
            type: entryType(entry.type),
            sha: entry.sha,
          })),
          truncated: false,
        };
    if (objectId.test(treeish)) cache.set(key, listing);
    return listing;
  };
  const reader = createTreeReader(fetchTree);

  /** The commit the PR's changes are measured from, as GitHub's own file list measures them. */
  const mergeBase = async (baseSha: string, headSha: string): Promise<string> => {
    try {
      const { data } = await octokit.rest.repos.compareCommitsWithBasehead({
        ...base,
        basehead: `${baseSha}...${headSha}`,
        per_page: 1,
      });
      return data.merge_base_commit.sha;
    } catch (error) {
      // Unrelated histories have no merge base: measure from the base branch itself.
      if ((error as { status?: unknown }).status === 404) return baseSha;
      throw error;
    }
  };

  return {
    listFiles: (treeish) => reader.listFiles(treeish),
    listBlobs: (treeish) => reader.listBlobs(treeish),
    async changedFiles(prNumber) {
      const listing = { ...base, pull_number: prNumber, per_page: filesPerPage };
      // The count and the first page at once: most PRs fit one page, so that is one round trip.
      const [{ data: pull }, { data: first }] = await Promise.all([
        octokit.rest.pulls.get({ ...base, pull_number: prNumber }),
        octokit.rest.pulls.listFiles({ ...listing, page: 1 }),
      ]);
      if (first.length >= pull.changed_files) return pathsOf(first);
      if (pull.changed_files <= pullRequestFilesLimit && first.length === filesPerPage) {
        const rest = await octokit.paginate(octokit.rest.pulls.listFiles, { ...listing, page: 2 });
        const files = [...first, ...rest];
        if (files.length >= pull.changed_files) return pathsOf(files);
      }
      // More than GitHub lists: compare the trees, going down only where shas differ.
      return reader.diff(await mergeBase(pull.base.sha, pull.head.sha), pull.head.sha);
    },
  };
}
