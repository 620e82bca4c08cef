// report-results: completes a run's check runs, upserts its PR comment, settles locks, and automerges when asked.

import { and, eq, sql } from "drizzle-orm";
import type { Task } from "graphile-worker";
import { z } from "zod";
import type { Config } from "../config/env.ts";
import type { Database } from "../db/client.ts";
import { dirspaceRunStates } from "../db/queries/dirspace-run-states.ts";
import {
  installations,
  pullRequests,
  repositories,
  workManifestDirspaces,
  workManifests,
} from "../db/schema/index.ts";
import { Automerge } from "../domain/repo-config.ts";
import { RunNotes } from "../domain/run-notes.ts";
import type { DirspaceRunState } from "../domain/stack-layers.ts";
import { loadDefaultBranchConfig } from "../evaluator/load-repo-state.ts";
import { renderCheckRun } from "../render/check-run-output.ts";
import { renderResultComments } from "../render/result-comment.ts";
import { ciRunUrl, outputsUrl } from "../render/run-links.ts";
import { renderRunNotes } from "../render/run-notes.ts";
import { automergeFailedNote } from "../render/run-reasons.ts";
import type { DirspaceReport, RunReport } from "../render/run-report.ts";
import { statusName } from "../render/status-names.ts";
import type { VcsPlatform } from "../vcs/platform.ts";
import { createProviderFor, type ProviderFor, platformFor } from "../vcs/registry.ts";
import { VcsError, type VcsProvider } from "../vcs/types.ts";
import { addJob } from "./add-job.ts";
import { releaseUnusedLocks } from "./fail-manifest.ts";
import { planNextLayerJob } from "./plan-next-layer.ts";
import { reportDrift } from "./report-drift.ts";
import type { JobDeps } from "./task-list.ts";

export const ReportResultsPayload = z.object({ workManifestId: z.uuid() });
export type ReportResultsPayload = z.infer<typeof ReportResultsPayload>;

export type { ProviderFor };

/** Dirspaces whose latest plan in the PR has changes (or failed) and no successful apply since. */
async function unappliedDirspaces(db: Database, pullRequestId: number): Promise<string[]> {
  const rows = await db.execute<{ dir: string; workspace: string }>(sql`
    with latest_plans as (
      select distinct on (d.dir, d.workspace) d.dir, d.workspace, d.has_changes, d.success, m.created_at
      from work_manifest_dirspaces d
      join work_manifests m on m.id = d.work_manifest_id
      where m.pull_request_id = ${pullRequestId} and m.kind = 'plan' and m.state in ('completed', 'failed')
      order by d.dir, d.workspace, m.created_at desc
    )
    select lp.dir, lp.workspace
    from latest_plans lp
    where (lp.has_changes is not false or lp.success is not true)
      and not exists (
        select 1
        from work_manifest_dirspaces d
        join work_manifests m on m.id = d.work_manifest_id
        where m.pull_request_id = ${pullRequestId}
          and m.kind in ('apply', 'autoapprove')
          and d.dir = lp.dir and d.workspace = lp.workspace
          and d.state = 'success'
          and m.created_at > lp.created_at
      )`);
  return [...rows].map((row) => `${row.dir} (${row.workspace})`);
}

function aggregateCheck(report: RunReport, summaryLimit: number) {
  const sum = (key: "add" | "change" | "destroy") =>
    report.dirspaces.reduce((total, d) => total + (d.summary?.[key] ?? 0), 0);
  const failed = report.dirspaces.filter((d) => d.state !== "success").length;
  const conclusion = report.manifestState === "completed" ? "success" : "failure";
  const title = `+${sum("add")} ~${sum("change")} -${sum("destroy")}${failed > 0 ? ` · ${failed} failed` : ""}`;
  const lines = report.dirspaces.map(
    (d) => `- ${d.state === "success" ? "✅" : "❌"} \`${d.dir}\` (${d.workspace}) ${d.state}`,
  );
  const summary = [report.failureReason ?? "", ...lines].filter(Boolean).join("\n").slice(0, summaryLimit);
  return { conclusion, title, summary } as const;
}

type ReportRows = NonNullable<Awaited<ReturnType<typeof loadReportRows>>>;

/** The manifest, its repository, installation, PR and dirspaces; undefined when the manifest is gone. */
async function loadReportRows(db: Database, manifestId: string) {
  const [row] = await db
    .select({ manifest: workManifests, repository: repositories, installation: installations })
    .from(workManifests)
    .innerJoin(repositories, eq(repositories.id, workManifests.repositoryId))
    .innerJoin(installations, eq(installations.id, workManifests.installationId))
    .where(eq(workManifests.id, manifestId));
  if (!row) return undefined;
  const [pullRequest] =
    row.manifest.pullRequestId === null
      ? []
      : await db.select().from(pullRequests).where(eq(pullRequests.id, row.manifest.pullRequestId));
  const dirspaces = await db
    .select()
    .from(workManifestDirspaces)
    .where(eq(workManifestDirspaces.workManifestId, manifestId))
    .orderBy(workManifestDirspaces.dir, workManifestDirspaces.workspace);
  return { ...row, pullRequest, dirspaces };
}

/** The notes stored when the run started (older manifests have none). */
function storedNotes(rows: ReportRows): RunNotes | null {
  const parsed = z.object({ notes: RunNotes }).safeParse(rows.manifest.runConfig ?? {});
  return parsed.success ? parsed.data.notes : null;
}

/** Each dirspace's state at the run's head, for the layers list; only read when the run has layers. */
async function layerStates(db: Database, rows: ReportRows): Promise<Map<string, DirspaceRunState>> {
  const notes = storedNotes(rows);
  if (!notes || notes.layers.length <= 1 || !rows.pullRequest) return new Map();
  const facts = await dirspaceRunStates(db, rows.pullRequest.id, rows.manifest.headSha);
  return new Map([...facts].map(([key, fact]) => [key, fact.state]));
}

/** What people see of a finished run, from its rows: pure. */
export function buildReport(
  config: Config,
  platform: VcsPlatform,
  rows: ReportRows,
  states: ReadonlyMap<string, DirspaceRunState> = new Map(),
): RunReport {
  const { manifest, repository, installation, pullRequest } = rows;
  const dirspaces: DirspaceReport[] = rows.dirspaces.map((d) => ({
    dir: d.dir,
    workspace: d.workspace,
    state: d.state,
    hasChanges: d.hasChanges,
    summary: d.summary ?? null,
    steps: d.steps ?? [],
  }));
  return {
    kind: manifest.kind,
    prNumber: pullRequest?.number ?? 0,
    headSha: manifest.headSha,
    runUrl: ciRunUrl(config, platform, repository.fullName, manifest.runUrl, manifest.runId),
    requestedBy: manifest.requestedBy,
    manifestState: manifest.state,
    failureReason: manifest.failureReason,
    outputsUrl: outputsUrl(config, platform, installation.externalId, manifest.id),
    dirspaces,
    ...notesOf(rows, states),
  };
}

function notesOf(rows: ReportRows, states: ReadonlyMap<string, DirspaceRunState>): { notes?: string } {
  const notes = storedNotes(rows);
  const rendered = notes ? renderRunNotes(notes, states) : undefined;
  return rendered === undefined ? {} : { notes: rendered };
}

/** Completes the run's statuses: the aggregate one, or one per dirspace (created if queuing them failed). */
async function publishStatuses(
  db: Database,
  provider: VcsProvider,
  platform: VcsPlatform,
  rows: ReportRows,
  report: RunReport,
): Promise<void> {
  const { manifest } = rows;
  const detailsUrl = report.runUrl ?? undefined;
  if (manifest.aggregateCheckRunId) {
    await provider.updateCheckRun(manifest.aggregateCheckRunId, {
      status: "completed",
      ...aggregateCheck(report, platform.limits.statusSummary),
      ...(detailsUrl ? { detailsUrl } : {}),
    });
    return;
  }
  for (const [index, dirspace] of report.dirspaces.entries()) {
    const check = renderCheckRun(report, dirspace, platform.limits, platform.words.changeRequestShort);
    const update = {
      status: "completed" as const,
      conclusion: check.conclusion,
      title: check.title,
      summary: check.summary,
      text: check.text,
      ...(detailsUrl ? { detailsUrl } : {}),
    };
    const existing = rows.dirspaces[index]!.checkRunId;
    if (existing) {
      await provider.updateCheckRun(existing, update);
      continue;
    }
    const { id } = await provider.createCheckRun({
      ...update,
      name: statusName(manifest.kind, dirspace),
      headSha: manifest.headSha,
      externalId: manifest.id,
    });
    // Remembered so a retried job updates this check run instead of creating another.
    await db
      .update(workManifestDirspaces)
      .set({ checkRunId: id })
      .where(
        and(
          eq(workManifestDirspaces.workManifestId, manifest.id),
          eq(workManifestDirspaces.dir, dirspace.dir),
          eq(workManifestDirspaces.workspace, dirspace.workspace),
        ),
      );
  }
}

/** Everything the job does, with the provider injected (tests pass one talking to the fake GitHub): load → build → publish. */
export async function reportResults(
  deps: JobDeps,
  providerFor: ProviderFor,
  manifestId: string,
): Promise<void> {
  const { db } = deps.database;
  const rows = await loadReportRows(db, manifestId);
  if (!rows) return;
  const { manifest, repository, installation, pullRequest } = rows;
  const platform = platformFor(manifest.vcs);
  if (manifest.state !== "completed") await releaseUnusedLocks(db, manifestId);
  const provider = await providerFor(installation, repository.owner, repository.name);
  if (manifest.kind === "drift") {
    // A drift run has no PR and no statuses (a thousand repositories would be ten thousand calls): its issue is its report.
    await reportDrift(deps, provider, platform, {
      repositoryId: repository.id,
      installationId: installation.id,
      fullName: repository.fullName,
      defaultBranch: repository.defaultBranch,
    });
    return;
  }
  const report = buildReport(deps.config, platform, rows, await layerStates(db, rows));
  await publishStatuses(db, provider, platform, rows, report);

  if (!pullRequest) return;
  for (const comment of renderResultComments(report, platform.limits.comment)) {
    await provider.upsertComment(pullRequest.number, comment.marker, comment.body);
  }
  if (manifest.kind !== "plan" && manifest.state === "completed" && pullRequest.state === "open") {
    await automerge(deps, provider, rows, pullRequest);
  }
  if (
    manifest.state === "completed" &&
    pullRequest.state !== "closed" &&
    (storedNotes(rows)?.layers.length ?? 0) > 1
  ) {
    // A layer may now be applied (or planned with no changes): the next one is planned by its own job,
    // also on a merged PR, whose layers are applied after the merge when the repository says so.
    const job = planNextLayerJob(repository, pullRequest, manifest.id);
    await addJob(db, job.task, job.payload, job.options);
  }
}

/** The automerge settings stored with the manifest; older manifests read the default branch's config now. */
async function automergeSettings(
  provider: VcsProvider,
  rows: ReportRows,
): Promise<z.infer<typeof Automerge> | null> {
  const stored = z.object({ automerge: Automerge }).safeParse(rows.manifest.runConfig ?? {});
  if (stored.success) return stored.data.automerge;
  // Whether and how to merge is the default branch's decision, never the PR's own config.
  const base = await loadDefaultBranchConfig(provider, rows.repository.defaultBranch);
  return base.ok ? base.config.automerge : null;
}

async function automerge(
  deps: JobDeps,
  provider: VcsProvider,
  rows: ReportRows,
  pullRequest: typeof pullRequests.$inferSelect,
): Promise<void> {
  const settings = await automergeSettings(provider, rows);
  if (!settings?.enabled) return;
  const pending = await unappliedDirspaces(deps.database.db, pullRequest.id);
  if (pending.length > 0) {
    deps.logger.info({ pullRequest: pullRequest.number, pending }, "automerge waits for unapplied dirspaces");
    return;
  }
  // Pinned to the applied head: if anything was pushed since, the VCS refuses rather than merging unapplied code.
  const result = await provider.mergePullRequest(pullRequest.number, {
    strategy: settings.merge_strategy,
    deleteBranch: settings.delete_branch,
    sha: rows.manifest.headSha,
  });
  if (!result.merged) {
    await provider.createComment(
      pullRequest.number,
      automergeFailedNote(platformFor(provider.vcs).words, result.message),
    );
  }
}

export function createReportResultsTask(deps: JobDeps): Task {
  const providerFor = createProviderFor(deps);
  return async (rawPayload) => {
    const { workManifestId } = ReportResultsPayload.parse(rawPayload);
    try {
      await reportResults(deps, providerFor, workManifestId);
    } catch (error) {
      // A 4xx will not get better by retrying: log it and let the job finish.
      if (error instanceof VcsError && !error.retryable) {
        deps.logger.warn({ err: error, workManifestId }, "results could not be reported");
        return;
      }
      throw error;
    }
  };
}
