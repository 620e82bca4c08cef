// Reporting a finished drift run: load every dirspace's latest drift state → decide the issue's fate → open, update or close it.
import { eq, sql } from "drizzle-orm";
import type { Logger } from "pino";
import type { Config } from "../config/env.ts";
import type { Database } from "../db/client.ts";
import { type DriftState, repositoryDriftStates } from "../db/queries/drift-state.ts";
import { defaultBranchSnapshots, driftIssues } from "../db/schema/index.ts";
import { driftIssueTitle } from "../domain/drift.ts";
import { type DriftIssueRow, renderDriftIssue, renderDriftResolved } from "../render/drift-issue.ts";
import { ciRunUrl } from "../render/run-links.ts";
import type { VcsPlatform } from "../vcs/platform.ts";
import { type IssueInfo, VcsError, type VcsProvider } from "../vcs/types.ts";

export interface DriftReportTarget {
  repositoryId: number;
  installationId: number;
  fullName: string;
  defaultBranch: string;
}

/** What the issue should become: opened or updated with this body, closed, or left alone. */
export type DriftIssueAction =
  | { type: "publish"; body: string }
  | { type: "close"; body: string }
  | { type: "none" };

/** The latest states of the dirspaces the default branch still has (a removed dir's old drift no longer counts). */
async function currentStates(db: Database, repositoryId: number): Promise<DriftState[]> {
  const states = await repositoryDriftStates(db, repositoryId);
  const [snapshot] = await db
    .select({ dirspaces: defaultBranchSnapshots.dirspaces })
    .from(defaultBranchSnapshots)
    .where(eq(defaultBranchSnapshots.repositoryId, repositoryId));
  if (!snapshot) return states;
  const present = new Set(snapshot.dirspaces.map((d) => `${d.dir}\u0000${d.workspace}`));
  return states.filter((state) => present.has(`${state.dir}\u0000${state.workspace}`));
}

function issueRow(config: Config, platform: VcsPlatform, fullName: string, state: DriftState): DriftIssueRow {
  const failedStep = state.steps.find((step) => !step.success);
  const plan = state.steps.find((step) => step.name === "plan");
  const refusedApply = state.status === "drifted" && failedStep !== undefined && failedStep !== plan;
  return {
    dir: state.dir,
    workspace: state.workspace,
    status: state.status,
    summary: state.summary,
    output:
      state.status === "failed"
        ? (failedStep?.output ?? state.failureReason ?? "the run ended before this dirspace reported")
        : (plan?.output ?? ""),
    note: refusedApply ? `not reconciled: ${lastLine(failedStep.output)}` : null,
    checkedAt: state.checkedAt,
    runUrl: ciRunUrl(config, platform, fullName, state.runUrl, state.runId),
    sha: state.sha,
  };
}

/** The server's reason from the runner's note about a refused apply, or the note's last line. */
function lastLine(text: string): string {
  const lines = text.trim().split("\n");
  const line = lines[lines.length - 1] ?? "";
  const refusal = /→ \d{3}: (.*)\)$/.exec(line);
  return (refusal?.[1] ?? line).slice(0, 300);
}

/** Pure: drift anywhere → publish the table; everything in sync (or reconciled) → close; failures only → update only. */
export function decideDriftIssue(
  target: DriftReportTarget,
  rows: DriftIssueRow[],
  limit: number,
  changeRequest = "pull request",
): DriftIssueAction {
  if (rows.length === 0) return { type: "none" };
  const drifted = rows.some((row) => row.status === "drifted");
  const failed = rows.some((row) => row.status === "failed");
  const body = renderDriftIssue({
    fullName: target.fullName,
    branch: target.defaultBranch,
    rows,
    limit,
    changeRequest,
  });
  if (drifted || failed) return { type: "publish", body };
  return { type: "close", body: renderDriftResolved(target.fullName, target.defaultBranch, rows.length) };
}

async function knownIssue(db: Database, repositoryId: number) {
  const [row] = await db.select().from(driftIssues).where(eq(driftIssues.repositoryId, repositoryId));
  return row;
}

async function remember(
  db: Database,
  target: DriftReportTarget,
  issue: { number: number; state: "open" | "closed" },
) {
  const row = {
    repositoryId: target.repositoryId,
    installationId: target.installationId,
    ...issue,
    updatedAt: sql`now()`,
  };
  await db.insert(driftIssues).values(row).onConflictDoUpdate({ target: driftIssues.repositoryId, set: row });
}

/** The issue to keep using: the one remembered (if it still exists), else an open one of ours with the title. */
async function existingIssue(
  db: Database,
  provider: VcsProvider,
  target: DriftReportTarget,
): Promise<IssueInfo | null> {
  const known = await knownIssue(db, target.repositoryId);
  if (known) {
    const issue = await provider.getIssue(known.number);
    if (issue) return issue;
  }
  return provider.findOwnOpenIssue(driftIssueTitle(target.fullName));
}

/** Opens, updates or closes the repository's drift issue after a drift run finished. */
export async function reportDrift(
  deps: { config: Config; database: { db: Database }; logger: Logger },
  provider: VcsProvider,
  platform: VcsPlatform,
  target: DriftReportTarget,
): Promise<DriftIssueAction["type"]> {
  const { db } = deps.database;
  const states = await currentStates(db, target.repositoryId);
  const rows = states.map((state) => issueRow(deps.config, platform, target.fullName, state));
  const action = decideDriftIssue(target, rows, platform.limits.comment, platform.words.changeRequest);
  if (action.type === "none") return "none";
  const issue = await existingIssue(db, provider, target);
  const onlyFailures = action.type === "publish" && !rows.some((row) => row.status === "drifted");
  if (action.type === "close" || onlyFailures) {
    // Failures alone do not open an issue (nothing is known to have drifted), and an issue is closed once.
    if (!issue || issue.state === "closed") return "none";
    await updateOrForget(
      provider,
      issue.number,
      action.type === "close" ? { body: action.body, state: "closed" } : { body: action.body },
    );
    await remember(db, target, { number: issue.number, state: action.type === "close" ? "closed" : "open" });
    return action.type === "close" ? "close" : "publish";
  }
  if (issue) {
    await provider.updateIssue(issue.number, { body: action.body, state: "open" });
    await remember(db, target, { number: issue.number, state: "open" });
  } else {
    const created = await provider.createIssue(driftIssueTitle(target.fullName), action.body);
    await remember(db, target, { number: created.number, state: "open" });
    deps.logger.info({ repo: target.fullName, issue: created.number }, "drift issue opened");
  }
  return "publish";
}

async function updateOrForget(
  provider: VcsProvider,
  number: number,
  update: { body: string; state?: "open" | "closed" },
): Promise<void> {
  try {
    await provider.updateIssue(number, update);
  } catch (error) {
    // Deleted between the look-up and the update: nothing left to close.
    if (!(error instanceof VcsError && error.kind === "not_found")) throw error;
  }
}
