// Reads what a decision needs from the VCS: both configs (merged), the tree and module index at the PR head, and the changed files.
import { createAccessTagger } from "../domain/access-tags.ts";
import type { ChangeReason } from "../domain/change-reason.ts";
import { configChanges } from "../domain/config-changes.ts";
import type { Dirspace, DirspaceRef } from "../domain/dirspace.ts";
import type { ConfigWarning } from "../domain/discover.ts";
import { evaluateRepo } from "../domain/match.ts";
import type { IndexProblem, ModuleIndex } from "../domain/module-index/build.ts";
import { formatConfigProblem, parseRepoConfig, repoConfigPath } from "../domain/parse-repo-config.ts";
import {
  accessPolicies,
  defaultRepoConfig,
  mergeRepoConfig,
  type RepoConfig,
} from "../domain/repo-config.ts";
import { buildStackGraph, type StackGraph } from "../domain/stack-graph.ts";
import { formatStackProblem } from "../domain/stack-snapshot.ts";
import type { PullRequestInfo, VcsProvider } from "../vcs/types.ts";
import type { ModuleIndexStore } from "./module-index-loader.ts";

export type RepoState =
  | {
      ok: true;
      config: RepoConfig;
      dirspaces: Dirspace[];
      warnings: ConfigWarning[];
      /** Tags access control matches on, from the default branch's config and tree. */
      accessTagsOf: (dirspace: DirspaceRef) => readonly string[];
      /** Changed files that need `config_update`. */
      configChanges: string[];
      /** Why each changed dirspace is changed (its files, a module it uses…), by dirspaceKey. */
      reasons: ReadonlyMap<string, ChangeReason[]>;
      moduleIndex: ModuleIndex;
      /** Files of the head tree that could not be parsed (they index as empty; the rest goes on). */
      indexErrors: IndexProblem[];
      /** The order dirspaces are applied in, by the default branch's ordering rules and tags. */
      stackGraph: StackGraph;
    }
  | { ok: false; ref: string; problems: string[] };

/** Reads and parses the config at a ref; a missing file is the default config. */
async function readConfig(
  provider: VcsProvider,
  ref: string,
): Promise<{ ok: true; config: RepoConfig } | { ok: false; problems: string[] }> {
  const text = await provider.getFile(repoConfigPath, ref);
  if (text === null) return { ok: true, config: defaultRepoConfig() };
  const parsed = parseRepoConfig(text, repoConfigPath);
  return parsed.ok ? parsed : { ok: false, problems: parsed.problems.map(formatConfigProblem) };
}

/**
 * Whether the default branch's tags can matter: some access policy or stack has a tag query (stacks
 * select their members by the default branch's tags, so a PR cannot move a dir out of its stack).
 */
function usesDefaultBranchTags(config: RepoConfig): boolean {
  return (
    accessPolicies(config).policies.some((policy) => policy.tag_query.trim() !== "") ||
    Object.keys(config.stacks).length > 0
  );
}

/** The default-branch config alone (for security keys and for events that have no PR head). */
export async function loadDefaultBranchConfig(provider: VcsProvider, defaultBranch: string) {
  return readConfig(provider, defaultBranch);
}

/**
 * The merged config (PR head, with the who-may-do-what keys from the default branch), every
 * dirspace of the head tree with `changed` set, and the default branch's view for access control.
 */
export async function loadRepoState(
  provider: VcsProvider,
  defaultBranch: string,
  pullRequest: PullRequestInfo,
  moduleIndexes: ModuleIndexStore,
): Promise<RepoState> {
  const baseConfig = readConfig(provider, defaultBranch);
  // The default branch's tree only matters when a policy or a stack selects dirspaces by tag.
  const baseTree = baseConfig.then((base) =>
    base.ok && usesDefaultBranchTags(base.config) ? provider.listTree(defaultBranch) : [],
  );
  // Blob shas let the index re-read only files whose content it has not summarized before.
  const headBlobs = provider.listTreeBlobs(pullRequest.headSha);
  const headTree = headBlobs.then((blobs) => [...blobs.keys()]);
  const headIndex = headBlobs.then((blobs) => moduleIndexes.load(provider, pullRequest.headSha, blobs));
  // Awaited below; if the config fails first, the index's failure is not unhandled.
  headIndex.catch(() => {});
  const [base, head, tree, defaultBranchTree, changedFiles] = await Promise.all([
    baseConfig,
    readConfig(provider, pullRequest.headSha),
    headTree,
    baseTree,
    provider.listChangedFiles(pullRequest.number),
  ]);
  if (!head.ok) return { ok: false, ref: pullRequest.headRef, problems: head.problems };
  if (!base.ok) return { ok: false, ref: defaultBranch, problems: base.problems };
  const moduleIndex = await headIndex;
  const config = mergeRepoConfig(base.config, head.config);
  const evaluation = evaluateRepo({ files: tree, config, changedFiles, moduleIndex });
  const accessTagsOf = createAccessTagger(base.config, defaultBranchTree);
  // Ordering is the default branch's: its stacks and dirs' depends_on, matched on its tags.
  const graph = buildStackGraph({
    dirspaces: evaluation.dirspaces.map((dirspace) => ({ ...dirspace, tags: accessTagsOf(dirspace) })),
    ordering: { stacks: base.config.stacks, dirs: base.config.dirs },
    moduleIndex,
  });
  if (!graph.ok) {
    const problems = graph.problems
      .filter((problem) => problem.severity === "error")
      .map((problem) => formatStackProblem(repoConfigPath, problem));
    return { ok: false, ref: defaultBranch, problems };
  }
  return {
    ok: true,
    config,
    dirspaces: evaluation.dirspaces,
    warnings: evaluation.warnings,
    accessTagsOf,
    configChanges: configChanges(changedFiles),
    reasons: evaluation.reasons,
    moduleIndex,
    indexErrors: moduleIndex.problems.filter((problem) => problem.severity === "error"),
    stackGraph: graph.graph,
  };
}
