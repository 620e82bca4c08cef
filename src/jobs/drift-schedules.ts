// drift-schedules (cron, every minute): starts a drift run for each schedule firing that is due, once across replicas.
import { and, eq, gte, isNull, sql } from "drizzle-orm";
import type { Task } from "graphile-worker";
import type { Logger } from "pino";
import { z } from "zod";
import type { Database, Executor } from "../db/client.ts";
import { insertWorkManifest, type NewWorkManifest } from "../db/queries/work-manifest-creation.ts";
import {
  defaultBranchSnapshots,
  driftFirings,
  installations,
  repositories,
  type SnapshotDirspace,
} from "../db/schema/index.ts";
import { driftLookbackMs, dueSlot } from "../domain/drift-schedule.ts";
import { Drift, type DriftSchedule } from "../domain/repo-config.ts";
import { evaluateTagQuery, parseTagQuery } from "../domain/tag-query.ts";
import { queueDispatch } from "./manifest-lifecycle.ts";
import type { JobDeps } from "./task-list.ts";

/**
 * A repository whose default branch enables drift, as its latest snapshot says: only what deciding
 * whether a schedule is due needs (the dirspaces are read when a firing is claimed).
 */
interface DriftRepository {
  repositoryId: number;
  installationId: number;
  vcs: "github" | "gitlab";
  fullName: string;
  drift: unknown;
}

/** What a firing plans: the default branch's head as the last refresh read it. */
interface DriftSnapshot {
  branch: string;
  sha: string;
  parallelism: number;
  dirspaces: SnapshotDirspace[];
}

export type FiringOutcome =
  | { type: "started"; manifestId: string }
  | { type: "skipped"; reason: string }
  /** Another tick (or replica) claimed this firing first. */
  | { type: "taken" };

export interface DriftTickResult {
  due: number;
  started: number;
  skipped: number;
  taken: number;
}

/** Repositories with drift enabled on a default branch whose config is valid, not archived, still installed. */
async function driftRepositories(db: Executor): Promise<DriftRepository[]> {
  return db
    .select({
      repositoryId: defaultBranchSnapshots.repositoryId,
      installationId: defaultBranchSnapshots.installationId,
      vcs: repositories.vcs,
      fullName: repositories.fullName,
      drift: defaultBranchSnapshots.drift,
    })
    .from(defaultBranchSnapshots)
    .innerJoin(repositories, eq(repositories.id, defaultBranchSnapshots.repositoryId))
    .innerJoin(installations, eq(installations.id, defaultBranchSnapshots.installationId))
    .where(
      and(
        sql`${defaultBranchSnapshots.drift} ->> 'enabled' = 'true'`,
        sql`cardinality(${defaultBranchSnapshots.configProblems}) = 0`,
        eq(repositories.archived, false),
        isNull(repositories.removedAt),
        isNull(installations.suspendedAt),
        isNull(installations.deletedAt),
      ),
    )
    .orderBy(defaultBranchSnapshots.repositoryId);
}

/** The dirspaces a schedule checks: those its tag query matches (all of them for an empty query). */
export function scheduledDirspaces(schedule: DriftSchedule, dirspaces: readonly SnapshotDirspace[]) {
  const query = parseTagQuery(schedule.tag_query);
  return dirspaces.filter((dirspace) => evaluateTagQuery(query, new Set(dirspace.tags)));
}

/** The drift manifest of one firing: the matched dirspaces at the snapshot's head, reconcile marked per dirspace. */
function driftManifest(
  repo: DriftRepository,
  snapshot: DriftSnapshot,
  firing: { name: string; schedule: DriftSchedule; reconcile: boolean; slot: Date },
  dirspaces: SnapshotDirspace[],
): NewWorkManifest {
  const { name, schedule, reconcile, slot } = firing;
  return {
    installationId: repo.installationId,
    repositoryId: repo.repositoryId,
    pullRequestId: null,
    vcs: repo.vcs,
    kind: "drift",
    baseRef: snapshot.branch,
    baseSha: snapshot.sha,
    headRef: snapshot.branch,
    headSha: snapshot.sha,
    requestedBy: `schedule:${name}`,
    tagQuery: schedule.tag_query,
    commentId: null,
    runConfig: {
      parallelism: snapshot.parallelism,
      drift: { schedule: name, slot: slot.toISOString(), reconcile },
    },
    dirspaces: dirspaces.map((dirspace) => ({
      dir: dirspace.dir,
      workspace: dirspace.workspace,
      tags: dirspace.tags,
      workflow: { ...(dirspace.workflow ?? {}), reconcile: reconcile && dirspace.reconcile === true },
      planId: null,
    })),
  };
}

/**
 * Claims one firing and, when this call claimed it, creates its drift manifest and dispatch job in
 * the same transaction: a crash leaves neither or both. At most one drift run per repository is in
 * flight (a unique index); a firing that meets one is recorded as skipped.
 */
export async function fireSchedule(
  db: Database,
  repo: DriftRepository,
  name: string,
  schedule: DriftSchedule,
  reconcile: boolean,
  slot: Date,
): Promise<FiringOutcome> {
  return db.transaction(async (tx): Promise<FiringOutcome> => {
    const [claimed] = await tx
      .insert(driftFirings)
      .values({ repositoryId: repo.repositoryId, schedule: name, slot })
      .onConflictDoNothing()
      .returning({ slot: driftFirings.slot });
    if (!claimed) return { type: "taken" };
    const record = (set: { workManifestId?: string; skipped?: string }) =>
      tx
        .update(driftFirings)
        .set(set)
        .where(
          and(
            eq(driftFirings.repositoryId, repo.repositoryId),
            eq(driftFirings.schedule, name),
            eq(driftFirings.slot, slot),
          ),
        );
    const [snapshot] = await tx
      .select({
        branch: defaultBranchSnapshots.branch,
        sha: defaultBranchSnapshots.sha,
        parallelism: defaultBranchSnapshots.parallelism,
        dirspaces: defaultBranchSnapshots.dirspaces,
      })
      .from(defaultBranchSnapshots)
      .where(eq(defaultBranchSnapshots.repositoryId, repo.repositoryId));
    const dirspaces = snapshot ? scheduledDirspaces(schedule, snapshot.dirspaces) : [];
    if (!snapshot || dirspaces.length === 0) {
      const reason = `no dirspace matches the tag query ${JSON.stringify(schedule.tag_query)}`;
      await record({ skipped: reason });
      return { type: "skipped", reason };
    }
    const manifestId = await insertWorkManifest(
      tx,
      driftManifest(repo, snapshot, { name, schedule, reconcile, slot }, dirspaces),
    );
    if (manifestId === null) {
      const reason = "a drift run of this repository is still in flight";
      await record({ skipped: reason });
      return { type: "skipped", reason };
    }
    await record({ workManifestId: manifestId });
    await queueDispatch(tx, manifestId);
    return { type: "started", manifestId };
  });
}

/** Firings claimed within the lookback: a tick skips them without a transaction each (the claim still decides). */
async function claimedFirings(db: Executor, now: Date): Promise<Set<string>> {
  const rows = await db
    .select({
      repositoryId: driftFirings.repositoryId,
      schedule: driftFirings.schedule,
      slot: driftFirings.slot,
    })
    .from(driftFirings)
    .where(gte(driftFirings.slot, new Date(now.getTime() - driftLookbackMs)));
  return new Set(rows.map((row) => firingKey(row.repositoryId, row.schedule, row.slot)));
}

function firingKey(repositoryId: number, schedule: string, slot: Date): string {
  return `${repositoryId}\u0000${schedule}\u0000${slot.getTime()}`;
}

/** One tick of the scheduler at `now`: fires every schedule that is due and not yet fired. */
export async function scheduleDrift(db: Database, now: Date, logger: Logger): Promise<DriftTickResult> {
  const result: DriftTickResult = { due: 0, started: 0, skipped: 0, taken: 0 };
  const claimed = await claimedFirings(db, now);
  for (const repo of await driftRepositories(db)) {
    const parsed = Drift.safeParse(repo.drift);
    if (!parsed.success || !parsed.data.enabled) continue;
    for (const [name, schedule] of Object.entries(parsed.data.schedules)) {
      const slot = dueSlot(schedule, `${repo.repositoryId}/${name}`, now);
      if (slot === null) continue;
      result.due++;
      if (claimed.has(firingKey(repo.repositoryId, name, slot))) {
        result.taken++;
        continue;
      }
      const reconcile = schedule.reconcile ?? parsed.data.reconcile;
      const outcome = await fireSchedule(db, repo, name, schedule, reconcile, slot);
      result[outcome.type === "started" ? "started" : outcome.type]++;
      if (outcome.type === "skipped") {
        logger.info({ repo: repo.fullName, schedule: name, reason: outcome.reason }, "drift firing skipped");
      } else if (outcome.type === "started") {
        logger.info(
          { repo: repo.fullName, schedule: name, workManifestId: outcome.manifestId },
          "drift run queued",
        );
      }
    }
  }
  return result;
}

/** graphile-worker's cron payload: the firing's time, which is the tick's "now". */
const CronPayload = z.looseObject({ _cron: z.object({ ts: z.string() }).optional() });

export function createDriftSchedulesTask(deps: JobDeps): Task {
  return async (rawPayload) => {
    const payload = CronPayload.parse(rawPayload ?? {});
    const now = payload._cron ? new Date(payload._cron.ts) : new Date();
    const result = await scheduleDrift(deps.database.db, now, deps.logger);
    if (result.due > 0) deps.logger.info({ ...result, at: now.toISOString() }, "drift schedules ticked");
  };
}
