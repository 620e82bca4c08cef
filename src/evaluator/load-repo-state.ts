// Reads what a decision needs from the VCS: both configs (merged), the tree at the PR head, and the changed files.
import { createAccessTagger } from "../domain/access-tags.ts";
import { configChanges } from "../domain/config-changes.ts";
import type { Dirspace, DirspaceRef } from "../domain/dirspace.ts";
import type { ConfigWarning } from "../domain/discover.ts";
import { evaluateRepo } from "../domain/match.ts";
import { formatConfigProblem, parseRepoConfig, repoConfigPath } from "../domain/parse-repo-config.ts";
import {
  accessPolicies,
  defaultRepoConfig,
  mergeRepoConfig,
  type RepoConfig,
} from "../domain/repo-config.ts";
import type { PullRequestInfo, VcsProvider } from "../vcs/types.ts";

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

/** Whether some access policy has a tag query, so that which tags a dirspace has can matter. */
function policiesUseTags(config: RepoConfig): boolean {
  return accessPolicies(config).policies.some((policy) => policy.tag_query.trim() !== "");
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
): Promise<RepoState> {
  const baseConfig = readConfig(provider, defaultBranch);
  // The default branch's tree only matters when a policy selects dirspaces by tag.
  const baseTree = baseConfig.then((base) =>
    base.ok && policiesUseTags(base.config) ? provider.listTree(defaultBranch) : [],
  );
  const [base, head, tree, defaultBranchTree, changedFiles] = await Promise.all([
    baseConfig,
    readConfig(provider, pullRequest.headSha),
    provider.listTree(pullRequest.headSha),
    baseTree,
    provider.listChangedFiles(pullRequest.number),
  ]);
  if (!head.ok) return { ok: false, ref: pullRequest.headRef, problems: head.problems };
  if (!base.ok) return { ok: false, ref: defaultBranch, problems: base.problems };
  const config = mergeRepoConfig(base.config, head.config);
  const evaluation = evaluateRepo({ files: tree, config, changedFiles });
  return {
    ok: true,
    config,
    dirspaces: evaluation.dirspaces,
    warnings: evaluation.warnings,
    accessTagsOf: createAccessTagger(base.config, defaultBranchTree),
    configChanges: configChanges(changedFiles),
  };
}
