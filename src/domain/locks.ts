// Lock policy decisions: which dirspaces an apply or a merge locks, and which held locks block an apply.
import { type DirspaceRef, dirspaceKey } from "./dirspace.ts";
import type { LockPolicy } from "./repo-config.ts";

/** A lock as stored: a dirspace owned by a pull request (its number within the repository). */
export interface HeldLock extends DirspaceRef {
  pullRequest: number;
}

function unique(dirspaces: readonly DirspaceRef[]): DirspaceRef[] {
  const seen = new Map<string, DirspaceRef>();
  for (const dirspace of dirspaces) {
    const key = dirspaceKey(dirspace);
    if (!seen.has(key)) seen.set(key, { dir: dirspace.dir, workspace: dirspace.workspace });
  }
  return [...seen.values()];
}

/**
 * The dirspaces an apply locks for its PR: `apply` locks what it applies; `strict` locks every
 * dirspace the PR changes as soon as anything is applied; `merge` and `none` lock nothing on apply.
 */
export function locksOnApply(
  policy: LockPolicy,
  applying: readonly DirspaceRef[],
  pullRequestDirspaces: readonly DirspaceRef[],
): DirspaceRef[] {
  switch (policy) {
    case "apply":
      return unique(applying);
    case "strict":
      return unique([...applying, ...pullRequestDirspaces]);
    case "merge":
    case "none":
      return [];
    default: {
      const unreachable: never = policy;
      return unreachable;
    }
  }
}

/**
 * The dirspaces a merge locks: under `merge`, those the PR changed but did not apply, so nobody
 * applies over merged-but-unapplied code until they are applied or unlocked. Other policies: none.
 */
export function locksOnMerge(policy: LockPolicy, changedButUnapplied: readonly DirspaceRef[]): DirspaceRef[] {
  return policy === "merge" ? unique(changedButUnapplied) : [];
}

/** Whether a PR's locks are released when it is merged or closed without merging. */
export function releasesLocksOn(policy: LockPolicy, outcome: "merged" | "closed"): boolean {
  return outcome === "closed" || policy !== "merge";
}

/** The held locks that stop `pullRequest` applying the requested dirspaces (locks block apply, not plan). */
export function blockingLocks(
  requested: readonly DirspaceRef[],
  held: readonly HeldLock[],
  pullRequest: number,
): HeldLock[] {
  const wanted = new Set(requested.map(dirspaceKey));
  return held.filter((lock) => lock.pullRequest !== pullRequest && wanted.has(dirspaceKey(lock)));
}
