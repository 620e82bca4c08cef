// initiate: a manifest starts once, for the run its credential proves; every other token of it dies then.
import type { Database } from "../../db/client.ts";
import { consumeWorkToken, revokeWorkTokens } from "../../db/queries/work-tokens.ts";
import type { repositories, Vcs } from "../../db/schema/index.ts";
import { abortManifest, isFinished, markRunning } from "../../jobs/manifest-lifecycle.ts";
import { closedReason, movedReason } from "../../render/run-reasons.ts";
import type { InitiateRequest, InitiateResponse } from "../../runner/protocol.ts";
import { platformFor } from "../../vcs/registry.ts";
import type { AppDeps } from "../app.ts";
import { buildManifestResponse } from "./initiate.ts";
import type { WorkManifestRow } from "./manifest-store.ts";
import { findManifest, findPullRequest, listManifestDirspaces } from "./manifest-store.ts";
import { RunnerApiError } from "./runner-auth.ts";
import { boundRunId, type RunnerCredential } from "./runner-identity.ts";

/** How long a runner that arrives before its dispatch is recorded waits before asking again. */
const dispatchPendingRetrySeconds = 5;

/** Another initiate won: it started the manifest, or used the same work token, a moment earlier. */
class LostRace extends Error {
  readonly why: "manifest" | "token";
  constructor(why: "manifest" | "token") {
    super(`lost the initiate race on the ${why}`);
    this.why = why;
  }
}

function alreadyStarted(manifest: WorkManifestRow): RunnerApiError {
  return new RunnerApiError(
    409,
    `work manifest ${manifest.id} was already started${manifest.runId ? ` by run ${manifest.runId}` : ""}; a work manifest starts once, and this call changed nothing`,
  );
}

/** A manifest that will not run: it ends (if it had not), and no token of it can start anything any more. */
async function done(db: Database, manifest: WorkManifestRow, reason: string): Promise<InitiateResponse> {
  await revokeWorkTokens(db, manifest.id, `work manifest ${manifest.id} will not run: ${reason}`);
  return { type: "done", reason };
}

export interface InitiateInput {
  manifest: WorkManifestRow;
  repository: typeof repositories.$inferSelect;
  credential: RunnerCredential;
  request: InitiateRequest;
}

/**
 * Whether the PR closed or merged after this run was asked for, leaving it nothing to do. A run asked
 * of a PR already merged (an apply after merge, or the next stack layer's plan that such an apply
 * queues) is what the merge was waiting for, and goes ahead.
 */
function endedBeforeRun(
  pullRequest: { state: string; mergedAt: Date | null },
  manifest: Pick<WorkManifestRow, "createdAt">,
): boolean {
  if (pullRequest.state === "open") return false;
  if (pullRequest.state !== "merged" || pullRequest.mergedAt === null) return true;
  return manifest.createdAt < pullRequest.mergedAt;
}

/**
 * Starts the manifest for the authenticated run, or says why not: `done` when nothing is left to run,
 * 409 when another run started it (that run is untouched), 503 while its dispatch is being recorded.
 */
export async function initiateRun(deps: AppDeps, vcs: Vcs, input: InitiateInput): Promise<InitiateResponse> {
  const { db } = deps.database;
  const { manifest, repository, credential } = input;
  const runId = boundRunId(credential, input.request.run_id);
  const id = manifest.id;
  if (isFinished(manifest.state))
    return done(db, manifest, `work manifest ${id} is already ${manifest.state}`);
  if (manifest.state === "running") throw alreadyStarted(manifest);
  if (manifest.state === "queued") {
    throw new RunnerApiError(
      503,
      `Terragate is still recording the dispatch of work manifest ${id}; ask again in a few seconds`,
      undefined,
      dispatchPendingRetrySeconds,
    );
  }
  const pullRequest = await findPullRequest(db, manifest.pullRequestId);
  if (pullRequest?.state === "open" && pullRequest.headSha !== manifest.headSha) {
    const reason = movedReason(platformFor(vcs).words, manifest.headSha, pullRequest.headSha);
    await db.transaction((tx) => abortManifest(tx, id, reason));
    return done(db, manifest, reason);
  }
  if (pullRequest && endedBeforeRun(pullRequest, manifest)) {
    const reason = closedReason(platformFor(vcs).words, pullRequest.number, pullRequest.state);
    await db.transaction((tx) => abortManifest(tx, id, reason));
    return done(db, manifest, reason);
  }
  const dirspaces = await listManifestDirspaces(db, id);
  const response = await buildManifestResponse(deps, vcs, manifest, repository, pullRequest, dirspaces);
  if (response.type === "invalid") {
    await db.transaction((tx) => abortManifest(tx, id, response.reason, "failed"));
    return done(db, manifest, response.reason);
  }
  try {
    await db.transaction(async (tx) => {
      if (!(await markRunning(tx, id, runId))) throw new LostRace("manifest");
      if (credential.kind === "work-token" && !(await consumeWorkToken(tx, credential.hash))) {
        throw new LostRace("token");
      }
      await revokeWorkTokens(tx, id, `work manifest ${id} was started by run ${runId}`);
    });
  } catch (error) {
    if (!(error instanceof LostRace)) throw error;
    const now = (await findManifest(db, id)) ?? manifest;
    if (isFinished(now.state)) return done(db, now, `work manifest ${id} is already ${now.state}`);
    if (error.why === "token") {
      throw new RunnerApiError(401, "this work token was used by another call at the same moment");
    }
    throw alreadyStarted(now);
  }
  deps.logger.info({ workManifestId: id, runId, credential: credential.kind }, "run initiated");
  return response.manifest;
}
