// Repository refresh: keeps Terragate's copy of a repository (name, default branch, archived) and of its default branch's config and dirspaces in step.
import { eq, sql } from "drizzle-orm";
import type { Logger } from "pino";
import type { Database } from "../db/client.ts";
import { defaultBranchSnapshots, repositories, type SnapshotDirspace } from "../db/schema/index.ts";
import { reconcileAllowed } from "../domain/drift.ts";
import { evaluateRepo } from "../domain/match.ts";
import type { ModuleIndex } from "../domain/module-index/build.ts";
import { formatConfigProblem, parseRepoConfig, repoConfigPath } from "../domain/parse-repo-config.ts";
import { defaultRepoConfig } from "../domain/repo-config.ts";
import { buildStackSnapshot, type StackSnapshot } from "../domain/stack-snapshot.ts";
import { platformFor } from "../vcs/registry.ts";
import type { RepositoryInfo, VcsProvider } from "../vcs/types.ts";
import { policyFor } from "./access.ts";
import type { ModuleIndexStore } from "./module-index-loader.ts";

/** The check run (GitLab: commit status) a broken default-branch config is reported under. */
export const configCheckName = "terragate config";

export type RefreshOutcome =
  | { type: "empty" }
  | { type: "cached"; sha: string }
  | { type: "refreshed"; sha: string; problems: string[]; dirspaces: number };

/** What the default branch's config and tree say, without any I/O (the module index tells modules from roots). */
export function readSnapshot(
  configText: string | null,
  tree: readonly string[],
  moduleIndex?: ModuleIndex,
): {
  problems: string[];
  drift: unknown;
  parallelism: number;
  dirspaces: SnapshotDirspace[];
  stacks: StackSnapshot | null;
} {
  const parsed =
    configText === null
      ? { ok: true as const, config: defaultRepoConfig() }
      : parseRepoConfig(configText, repoConfigPath);
  if (!parsed.ok) {
    return {
      problems: parsed.problems.map(formatConfigProblem),
      drift: null,
      parallelism: 4,
      dirspaces: [],
      stacks: null,
    };
  }
  const { config } = parsed;
  const { dirspaces } = evaluateRepo({
    files: [...tree],
    config,
    changedFiles: [],
    ...(moduleIndex ? { moduleIndex } : {}),
  });
  return {
    problems: [],
    drift: config.drift,
    parallelism: config.parallelism,
    stacks: moduleIndex ? buildStackSnapshot(config, dirspaces, moduleIndex, repoConfigPath) : null,
    // What a drift run needs without reading the repository again: each dirspace's workflow, and
    // whether its access policy lets drift reconcile it.
    dirspaces: dirspaces.map((dirspace) => ({
      dir: dirspace.dir,
      workspace: dirspace.workspace,
      tags: dirspace.tags,
      workflow: {
        engine: dirspace.workflow.engine,
        plan: dirspace.workflow.plan,
        apply: dirspace.workflow.apply,
      },
      reconcile: reconcileAllowed(policyFor(config, dirspace.tags).policy),
    })),
  };
}

/** The failing check's text: every problem, as many as fit the VCS's limit. */
export function configProblemsSummary(
  problems: readonly string[],
  limit: number,
  changeRequests = "pull requests",
): string {
  const lines = [
    `\`${repoConfigPath}\` on the default branch is invalid: ${changeRequests} are refused and drift`,
    "schedules do not run until it is fixed.",
    "",
    ...problems.map((problem) => `- ${problem}`),
  ];
  let text = "";
  for (const line of lines) {
    if (text.length + line.length + 40 > limit) return `${text}- … (${problems.length} problems in all)\n`;
    text += `${line}\n`;
  }
  return text;
}

export interface RefreshInput {
  db: Database;
  logger: Logger;
  provider: VcsProvider;
  repositoryId: number;
  installationId: number;
  /** What the event said about the repository (a push); otherwise the VCS is asked. */
  observed?: RepositoryInfo;
  /** The process's module indexes: a new default-branch commit re-reads only the files whose blobs are new. */
  moduleIndexes: ModuleIndexStore;
}

/**
 * Updates the repository's metadata, then reads the default branch's config and tree once per commit:
 * a commit already read is not read again. A broken config fails a `terragate config` check on it.
 */
export async function refreshRepository(input: RefreshInput): Promise<RefreshOutcome> {
  const { db, provider } = input;
  const info = input.observed ?? (await provider.getRepository());
  await db
    .update(repositories)
    .set({
      owner: info.owner,
      name: info.name,
      fullName: info.fullName,
      defaultBranch: info.defaultBranch,
      archived: info.archived,
      private: info.private,
      updatedAt: sql`now()`,
    })
    .where(eq(repositories.id, input.repositoryId));
  const sha = info.defaultBranchSha;
  if (sha === null) return { type: "empty" };
  const [known] = await db
    .select({ sha: defaultBranchSnapshots.sha, branch: defaultBranchSnapshots.branch })
    .from(defaultBranchSnapshots)
    .where(eq(defaultBranchSnapshots.repositoryId, input.repositoryId));
  if (known?.sha === sha && known.branch === info.defaultBranch) return { type: "cached", sha };

  const [configText, blobs] = await Promise.all([
    provider.getFile(repoConfigPath, sha),
    provider.listTreeBlobs(sha),
  ]);
  const tree = [...blobs.keys()];
  const moduleIndex = await input.moduleIndexes.load(provider, sha, blobs);
  const snapshot = readSnapshot(configText, tree, moduleIndex);
  const row = {
    repositoryId: input.repositoryId,
    installationId: input.installationId,
    branch: info.defaultBranch,
    sha,
    configProblems: snapshot.problems,
    drift: snapshot.drift,
    parallelism: snapshot.parallelism,
    dirspaces: snapshot.dirspaces,
    stacks: snapshot.stacks,
    refreshedAt: sql`now()`,
  };
  // Refreshes of one repository run one at a time (their jobs share a queue), so the last write is the latest read.
  await db
    .insert(defaultBranchSnapshots)
    .values(row)
    .onConflictDoUpdate({ target: defaultBranchSnapshots.repositoryId, set: row });
  if (snapshot.problems.length > 0 && !info.archived) {
    await reportBrokenConfig(provider, sha, snapshot.problems);
    input.logger.info(
      { repo: info.fullName, sha, problems: snapshot.problems.length },
      "default branch config is invalid",
    );
  }
  return { type: "refreshed", sha, problems: snapshot.problems, dirspaces: snapshot.dirspaces.length };
}

async function reportBrokenConfig(provider: VcsProvider, sha: string, problems: string[]): Promise<void> {
  const { limits, words } = platformFor(provider.vcs);
  await provider.createCheckRun({
    name: configCheckName,
    headSha: sha,
    status: "completed",
    conclusion: "failure",
    title: `${problems.length} problem${problems.length === 1 ? "" : "s"} in ${repoConfigPath}`,
    summary: configProblemsSummary(problems, limits.statusSummary, `${words.changeRequest}s`),
  });
}
