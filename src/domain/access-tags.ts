// The tags access decisions see: computed from the default branch's `dirs` config and tree, never the PR's.

import { type DirspaceRef, implicitTags } from "./dirspace.ts";
import { createDirResolver, findTerraformRoots } from "./discover.ts";
import { compileGlob } from "./glob.ts";
import type { RepoConfig } from "./repo-config.ts";

/**
 * Tags for access control. A PR may re-tag its dirs (its `dirs` config is what plans run with),
 * but policies must see the tags the default branch gives: a dir that is a terraform root on the
 * default branch gets that branch's dir tags (and its workspace's tags when the workspace exists
 * there); a dir that exists only in the PR gets only `dir:` and `workspace:`.
 */
export function createAccessTagger(
  defaultBranchConfig: RepoConfig,
  defaultBranchFiles: readonly string[],
): (dirspace: DirspaceRef) => string[] {
  const ignore = defaultBranchConfig.ignore.map((pattern) => compileGlob(pattern));
  const roots = new Set(
    findTerraformRoots(defaultBranchFiles).filter((root) => !ignore.some((glob) => glob.test(root))),
  );
  const resolver = createDirResolver(defaultBranchConfig.dirs);
  const cache = new Map<string, string[]>();
  return (dirspace) => {
    const implicit = implicitTags(dirspace);
    if (!roots.has(dirspace.dir)) return [...implicit];
    const key = `${dirspace.dir}\0${dirspace.workspace}`;
    const cached = cache.get(key);
    if (cached) return cached;
    const entry = resolver.resolve(dirspace.dir)?.config;
    const workspaces = entry?.workspaces ?? { default: { tags: [] } };
    const workspaceTags = Object.hasOwn(workspaces, dirspace.workspace)
      ? (workspaces[dirspace.workspace]?.tags ?? [])
      : [];
    const tags = [...new Set([...(entry?.tags ?? []), ...workspaceTags, ...implicit])];
    cache.set(key, tags);
    return tags;
  };
}
