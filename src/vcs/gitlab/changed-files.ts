// Every path a merge request touches: its paginated diffs, or a tree comparison when GitLab's diff overflowed.
import { z } from "zod";
import { ApiDiff, ApiMergeRequest, ApiTreeEntry } from "./api-schema.ts";
import { type GitlabClient, parseAnswer } from "./client.ts";

/** `changes_count` is "12", or "1000+" once the diff is larger than GitLab lists (its `overflow`). */
export function diffOverflowed(changesCount: string | null | undefined, listed: number): boolean {
  if (!changesCount) return false;
  if (changesCount.endsWith("+")) return true;
  const count = Number(changesCount);
  return Number.isFinite(count) && listed < count;
}

/** Path → blob id of every file at a commit (keyset pagination, 100 entries a page). */
export async function treeBlobs(
  client: GitlabClient,
  projectId: string,
  sha: string,
): Promise<Map<string, string>> {
  const entries = await client.call(`list the tree at ${sha}`, (api) =>
    api.repositories.allRepositoryTrees(projectId, {
      ref: sha,
      recursive: true,
      pagination: "keyset",
      perPage: 100,
    }),
  );
  const blobs = new Map<string, string>();
  for (const entry of parseAnswer(z.array(ApiTreeEntry), entries, `tree of ${sha}`)) {
    if (entry.type === "blob") blobs.set(entry.path, entry.id);
  }
  return blobs;
}

/** Paths whose blob differs between two trees (added, removed or changed). */
export function differingPaths(base: Map<string, string>, head: Map<string, string>): string[] {
  const paths = new Set<string>();
  for (const [path, id] of head) if (base.get(path) !== id) paths.add(path);
  for (const path of base.keys()) if (!head.has(path)) paths.add(path);
  return [...paths].sort();
}

export async function listMergeRequestFiles(
  client: GitlabClient,
  projectId: string,
  iid: number,
): Promise<string[]> {
  const mergeRequest = parseAnswer(
    ApiMergeRequest,
    await client.call(`get merge request !${iid}`, (api) => api.mergeRequests.show(projectId, iid)),
    `merge request !${iid}`,
  );
  const diffs = parseAnswer(
    z.array(ApiDiff),
    await client.call(`list the diffs of !${iid}`, (api) =>
      api.mergeRequests.allDiffs(projectId, iid, { perPage: 100 }),
    ),
    `diffs of !${iid}`,
  );
  const baseSha = mergeRequest.diff_refs?.base_sha;
  const headSha = mergeRequest.diff_refs?.head_sha ?? mergeRequest.sha;
  if (diffOverflowed(mergeRequest.changes_count, diffs.length) && baseSha && headSha) {
    // GitLab stops listing past its diff limits; comparing the two trees finds every changed path.
    const [base, head] = await Promise.all([
      treeBlobs(client, projectId, baseSha),
      treeBlobs(client, projectId, headSha),
    ]);
    return differingPaths(base, head);
  }
  const paths = new Set<string>();
  for (const diff of diffs) {
    paths.add(diff.new_path);
    paths.add(diff.old_path);
  }
  return [...paths];
}
