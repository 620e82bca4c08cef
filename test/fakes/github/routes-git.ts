// Fake GitHub git routes: tree listings (by commit, branch or tree sha; recursive ones truncated at GitHub's limits) and compare.
import { truncateListing } from "./git-objects.ts";
import { notFound, R, type Route, type Schemas, withRepo } from "./route-helpers.ts";
import type { FakeGithubState, FakeRepo } from "./state.ts";

/** A commit sha for a branch name or sha of the repository, if it has that commit. */
function commitOf(state: FakeGithubState, repo: FakeRepo, ref: string): string | undefined {
  const sha = repo.branches.get(ref.replace(/^refs\/heads\//, "")) ?? ref;
  return state.commits.has(sha) ? sha : undefined;
}

export const gitRoutes: Route[] = [
  {
    method: "GET",
    pattern: new RegExp(`^${R}/git/trees/([^/]+)$`),
    handle: withRepo((repo, state, request) => {
      const treeish = request.params[2] ?? "";
      let treeSha: string | undefined = state.git.trees.has(treeish) ? treeish : undefined;
      if (treeSha === undefined) {
        const commit = commitOf(state, repo, treeish);
        if (commit === undefined) return notFound();
        treeSha = state.git.rootTree(commit, state.commits.get(commit)!);
      }
      state.git.treeRequests++;
      const fullName = `${repo.owner}/${repo.name}`;
      // Like GitHub, any value of `recursive` (even 0 or false) asks for the whole tree.
      const recursive = request.query.has("recursive");
      const items = state.git.list(treeSha, recursive, request.baseUrl, fullName);
      const { tree, truncated } = recursive
        ? truncateListing(items, state.limits)
        : { tree: items, truncated: false };
      const body: Schemas["git-tree"] = {
        sha: treeSha,
        url: `${request.baseUrl}/repos/${fullName}/git/trees/${treeSha}`,
        tree,
        truncated,
      };
      return { status: 200, body };
    }),
  },
  {
    method: "GET",
    pattern: new RegExp(`^${R}/compare/(.+)$`),
    handle: withRepo((repo, state, request) => {
      const [baseRef = "", headRef = ""] = decodeURIComponent(request.params[2] ?? "").split("...");
      const baseSha = commitOf(state, repo, baseRef);
      const headSha = commitOf(state, repo, headRef);
      if (baseSha === undefined || headSha === undefined) return notFound();
      const mergeBase = state.git.mergeBase(baseSha, headSha);
      if (mergeBase === undefined) {
        return {
          status: 404,
          body: {
            message: `No common ancestor between ${baseRef} and ${headRef}.`,
            documentation_url: "https://docs.github.com/rest",
          },
        };
      }
      const body: Pick<
        Schemas["commit-comparison"],
        "status" | "ahead_by" | "behind_by" | "total_commits" | "files"
      > & {
        merge_base_commit: { sha: string };
        base_commit: { sha: string };
        commits: [];
      } = {
        status: mergeBase === headSha ? "behind" : mergeBase === baseSha ? "ahead" : "diverged",
        ahead_by: 0,
        behind_by: 0,
        total_commits: 0,
        merge_base_commit: { sha: mergeBase },
        base_commit: { sha: baseSha },
        commits: [],
        files: [],
      };
      return { status: 200, body };
    }),
  },
];
