// The runner endpoints under /api/{github,gitlab}/v1/work-manifests: initiate, plans up and down, results.
import { type ErrorHandler, Hono } from "hono";
import type { Vcs } from "../../db/schema/index.ts";
import { isFinished } from "../../jobs/manifest-lifecycle.ts";
import { ApplyStarted, InitiateRequest, PlanUpload, ResultsBody } from "../../runner/protocol.ts";
import type { AppDeps } from "../app.ts";
import { initiateRun } from "./initiate-run.ts";
import {
  findManifest,
  findRepository,
  listManifestDirspaces,
  markApplyStarted,
  reconcileRefusal,
  type WorkManifestRow,
} from "./manifest-store.ts";
import { planForApply, storeUploadedPlan } from "./plan-transfer.ts";
import { type BodySpec, limitBody, readBody } from "./request-body.ts";
import { bearerToken, RunnerApiError, requireManifestClaims } from "./runner-auth.ts";
import { authenticateRunner } from "./runner-identity.ts";
import { storeResults } from "./store-results.ts";

/** initiate carries a run id and a sha. */
const initiateMaxBytes = 64 * 1024;
const initiateTooLarge = `an initiate request is at most ${initiateMaxBytes} bytes`;
/** Per-step output is capped at 4 MiB by the protocol; a large manifest's results stay well below this. */
const resultsMaxBytes = 256 * 1024 * 1024;

const initiateBody: BodySpec<InitiateRequest> = {
  maxBytes: initiateMaxBytes,
  tooLarge: initiateTooLarge,
  schema: InitiateRequest,
  what: "initiate request",
};
const applyStartedBody: BodySpec<ApplyStarted> = {
  ...initiateBody,
  schema: ApplyStarted,
  what: "apply-started",
};
const resultsBody: BodySpec<ResultsBody> = {
  maxBytes: resultsMaxBytes,
  tooLarge: `the results are larger than ${resultsMaxBytes / 1024 / 1024} MiB`,
  schema: ResultsBody,
  what: "results",
};

/** The plan upload's limit: base64 of the largest plan, with room for the JSON around it. */
function planUploadBody(deps: AppDeps): BodySpec<PlanUpload> {
  const maxPlan = deps.config.TERRAGATE_PLAN_MAX_BYTES;
  return {
    maxBytes: Math.ceil((maxPlan * 4) / 3) + 64 * 1024,
    tooLarge: `the plan is larger than the server's limit of ${maxPlan} bytes (TERRAGATE_PLAN_MAX_BYTES)`,
    schema: PlanUpload,
    what: "plan upload",
  };
}

/** The JSON answer of a refused runner call (status, message, issues) or of a failure the run may retry. */
function answerRunnerError(deps: AppDeps): ErrorHandler {
  return (error, c) => {
    if (error instanceof RunnerApiError) {
      if (error.retryAfterSeconds !== undefined) c.header("retry-after", String(error.retryAfterSeconds));
      return c.json(
        { error: error.message, ...(error.issues ? { issues: error.issues } : {}) },
        error.status,
      );
    }
    deps.logger.error({ err: error, path: c.req.path }, "runner endpoint failed");
    return c.json({ error: "internal error; the run may retry this call" }, 500);
  };
}

/** The manifest a call names, of this VCS; with `running`, refused once it finished. */
async function findRunnerManifest(
  deps: AppDeps,
  vcs: Vcs,
  id: string,
  { running = false } = {},
): Promise<WorkManifestRow> {
  const manifest = await findManifest(deps.database.db, id);
  if (!manifest || manifest.vcs !== vcs) throw new RunnerApiError(404, `work manifest ${id} does not exist`);
  if (running && isFinished(manifest.state)) {
    throw new RunnerApiError(409, `work manifest ${id} is already ${manifest.state}`);
  }
  return manifest;
}

/** Runner endpoints for one VCS; the GitHub and GitLab mounts share this code. */
export function createWorkManifestRoutes(deps: AppDeps, vcs: Vcs): Hono {
  const { db } = deps.database;
  const app = new Hono();
  const planBody = planUploadBody(deps);

  app.onError(answerRunnerError(deps));

  const loadManifest = (id: string, options?: { running?: boolean }) =>
    findRunnerManifest(deps, vcs, id, options);

  // Authentication comes before the body is read; the limit refuses an oversized body by its length alone.
  app.post("/:id/initiate", limitBody(initiateMaxBytes, initiateTooLarge), async (c) => {
    const id = c.req.param("id");
    const token = bearerToken(c);
    const manifest = await loadManifest(id);
    const repository = await findRepository(db, manifest.repositoryId);
    if (!repository) throw new RunnerApiError(404, `the repository of work manifest ${id} is gone`);
    const credential = await authenticateRunner(deps, vcs, token, manifest, repository);
    const request = await readBody(c.req.raw, initiateBody);
    return c.json(await initiateRun(deps, vcs, { manifest, repository, credential, request }));
  });

  app.post("/:id/plans", limitBody(planBody.maxBytes, planBody.tooLarge), async (c) => {
    const id = c.req.param("id");
    await requireManifestClaims(c, deps.encryptionKey, id, "plans:write");
    const upload = await readBody(c.req.raw, planBody);
    const size = await storeUploadedPlan(deps, await loadManifest(id, { running: true }), upload);
    return c.json({ stored: true, size_bytes: size }, 201);
  });

  app.get("/:id/plans", limitBody(0, "a plan download takes no body"), async (c) => {
    const id = c.req.param("id");
    await requireManifestClaims(c, deps.encryptionKey, id, "plans:read");
    const dir = c.req.query("dir");
    const workspace = c.req.query("workspace");
    if (!dir || !workspace) {
      throw new RunnerApiError(400, "query parameters `dir` and `workspace` are required", [
        ...(dir ? [] : [{ path: "dir", message: "required" }]),
        ...(workspace ? [] : [{ path: "workspace", message: "required" }]),
      ]);
    }
    const manifest = await loadManifest(id, { running: true });
    const { plan, bytes } = await planForApply(deps, manifest, dir, workspace);
    return c.body(new Uint8Array(bytes), 200, {
      "content-type": "application/octet-stream",
      "x-terragate-plan-head-sha": plan.headSha,
      "x-terragate-plan-has-changes": String(plan.hasChanges),
    });
  });

  app.post("/:id/apply-started", limitBody(initiateMaxBytes, initiateTooLarge), async (c) => {
    const id = c.req.param("id");
    await requireManifestClaims(c, deps.encryptionKey, id, "apply:start");
    const { dir, workspace } = await readBody(c.req.raw, applyStartedBody);
    const manifest = await loadManifest(id);
    if (manifest.kind === "drift") {
      const refusal = await reconcileRefusal(db, manifest, dir, workspace);
      if (refusal !== null) throw new RunnerApiError(409, refusal);
    }
    const outcome = await markApplyStarted(db, id, dir, workspace);
    if (outcome === "unknown_dirspace") {
      throw new RunnerApiError(400, `${dir} (${workspace}) is not a dirspace of work manifest ${id}`);
    }
    if (outcome === "not_running") {
      const now = (await findManifest(db, id)) ?? manifest;
      const why = now.failureReason ? `: ${now.failureReason}` : "";
      throw new RunnerApiError(
        409,
        `work manifest ${id} is ${now.state}${why}; the server no longer expects this run, so do not apply`,
      );
    }
    return c.json({ recorded: true });
  });

  app.put("/:id", limitBody(resultsMaxBytes, resultsBody.tooLarge), async (c) => {
    const id = c.req.param("id");
    await requireManifestClaims(c, deps.encryptionKey, id, "results:write");
    const results = await readBody(c.req.raw, resultsBody);
    const manifest = await loadManifest(id);
    const outcome = await storeResults(db, manifest, await listManifestDirspaces(db, id), results);
    if (outcome.type === "conflict") throw new RunnerApiError(409, outcome.reason);
    if (outcome.type === "invalid") throw new RunnerApiError(400, "invalid results", outcome.issues);
    return c.json({ state: outcome.state, stored: outcome.stored });
  });

  return app;
}
