// `terragate unlock [PR …]`: releases locks if the commenter may unlock every locked dirspace (default-branch tags).
import type { Executor } from "../db/client.ts";
import { recordAudit } from "../db/queries/audit-log.ts";
import { locksOfNumbers, releaseLocksOfNumbers } from "../db/queries/dirspace-locks.ts";
import type { RepositoryRow } from "../db/queries/vcs-sync.ts";
import type { RepoConfig } from "../domain/repo-config.ts";
import { refusalMarker, renderRefusal } from "../render/refusal.ts";
import { renderUnlocked, replyMarker } from "../render/replies.ts";
import { platformFor } from "../vcs/registry.ts";
import type { PullRequestInfo, VcsProvider } from "../vcs/types.ts";
import { type AccessTagsOf, accessDenials, type PersonFacts } from "./access.ts";
import type { EvaluatorContext } from "./context.ts";
import type { CommentOutcome } from "./handle-comment.ts";

export interface UnlockInput {
  prNumber: number;
  /** The PRs whose locks to release (this PR when none were named). */
  numbers: number[];
  repository: Pick<RepositoryRow, "id" | "installationId" | "vcs" | "fullName">;
  /** Tags from the default branch: a PR cannot re-tag a locked prod dir to unlock it under a looser policy. */
  accessTagsOf: AccessTagsOf;
  user: PersonFacts;
  config: RepoConfig;
  pullRequest: PullRequestInfo;
  defaultBranch: string;
  /** What the audit entry says the unlock came through. */
  via: "comment" | "dashboard";
}

export async function unlock(
  context: EvaluatorContext,
  provider: VcsProvider,
  input: UnlockInput,
): Promise<CommentOutcome> {
  const db = context.database.db;
  const held = await locksOfNumbers(db, input.repository.id, input.numbers);
  const denials = accessDenials(input.config, "unlock", input.user, held, input.accessTagsOf);
  if (denials.length > 0) {
    await provider.upsertComment(
      input.prNumber,
      refusalMarker(input.prNumber),
      renderRefusal({
        prNumber: input.prNumber,
        action: "unlock",
        dirspaces: held,
        problems: denials.map((denial) => ({
          rule: "access",
          action: "unlock",
          who: input.user.login,
          dirspaces: denial.dirspaces,
          allowed: denial.allowed,
          source: denial.source,
        })),
        pullRequest: input.pullRequest,
        requestedBy: input.user.login,
        defaultBranch: input.defaultBranch,
        words: platformFor(provider.vcs).words,
      }),
    );
    return { kind: "refused" };
  }
  const released = await db.transaction(async (tx) => {
    const rows = await releaseLocksOfNumbers(tx, input.repository.id, input.numbers);
    if (rows.length > 0) await auditUnlock(tx, input, rows);
    return rows;
  });
  await provider.upsertComment(
    input.prNumber,
    replyMarker(input.prNumber, "unlock"),
    renderUnlocked(input.prNumber, released, input.numbers, platformFor(provider.vcs).words.reference),
  );
  return { kind: "unlocked", count: released.length };
}

/** The `lock.unlock` entry of a comment (or dashboard) unlock, beside the API's: who, from which PR, which locks of which PRs. */
async function auditUnlock(
  tx: Executor,
  input: UnlockInput,
  released: Array<{ dir: string; workspace: string; pullRequestNumber: number }>,
): Promise<void> {
  await recordAudit(tx, {
    installationId: input.repository.installationId,
    actor: `${input.repository.vcs}:${input.user.login}`,
    action: "lock.unlock",
    target: {
      repo: input.repository.fullName,
      pull_request: input.prNumber,
      via: input.via,
      dirspaces: released.map((lock) => ({
        dir: lock.dir,
        workspace: lock.workspace,
        pull_request: lock.pullRequestNumber,
      })),
    },
  });
}
