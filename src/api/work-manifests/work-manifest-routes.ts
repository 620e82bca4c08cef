// The runner endpoints under /api/{github,gitlab}/v1/work-manifests: initiate, plans up and down, results.
import { sql } from "drizzle-orm";
import { Hono, type MiddlewareHandler } from "hono";
import type { ZodError } from "zod";
import { seal, unseal } from "../../crypto/seal.ts";
import { plans, type Vcs } from "../../db/schema/index.ts";
import { isFinished } from "../../jobs/manifest-lifecycle.ts";
import { ApplyStarted, InitiateRequest, PlanUpload, ResultsBody } from "../../runner/protocol.ts";
import type { AppDeps } from "../app.ts";
import { initiateRun } from "./initiate-run.ts";
import {
  findManifest,
  findRepository,
  latestSuccessfulPlan,
  listDirspaces,
  markApplyStarted,
  planById,
  planContext,
  type WorkManifestRow,
} from "./manifest-store.ts";
import { bearerToken, RunnerApiError, requireManifestClaims } from "./runner-auth.ts";
import { authenticateRunner } from "./runner-identity.ts";
import { storeResults } from "./store-results.ts";

const PLAN_RETENTION_DAYS = 14;
/** initiate carries a run id and a sha. */
const initiateMaxBytes = 64 * 1024;
/** Per-step output is capped at 4 MiB by the protocol; a large manifest's results stay well below this. */
const resultsMaxBytes = 256 * 1024 * 1024;

/**
 * Refuses a body whose declared length is over the limit, before authentication and without reading it.
 * A body without a declared length is bounded while it is read (readJson), after authentication.
 */
function limitBody(maxBytes: number, tooLarge: string): MiddlewareHandler {
  return async (c, next) => {
    const declared = c.req.header("content-length");
    if (declared !== undefined && Number(declared) > maxBytes) {
      // Closing the connection spares reading (and discarding) a body nobody will use.
      c.header("connection", "close");
      throw new RunnerApiError(413, tooLarge);
    }
    await next();
  };
}

function zodIssues(error: ZodError): Array<{ path: string; message: string }> {
  return error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));
}

/** Reads a JSON body of at most `maxBytes`, stopping as soon as it is over (a body may not declare its length). */
async function readJson(request: Request, maxBytes: number, tooLarge: string): Promise<unknown> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        throw new RunnerApiError(413, tooLarge);
      }
      chunks.push(value);
    }
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new RunnerApiError(400, "the request body is not valid JSON");
  }
}

/** Runner endpoints for one VCS; the GitHub and GitLab mounts share this code. */
export function createWorkManifestRoutes(deps: AppDeps, vcs: Vcs): Hono {
  const { db } = deps.database;
  const app = new Hono();
  const planBodyLimit = Math.ceil((deps.config.TERRAGATE_PLAN_MAX_BYTES * 4) / 3) + 64 * 1024;

  app.onError((error, c) => {
    if (error instanceof RunnerApiError) {
      if (error.retryAfterSeconds !== undefined) c.header("retry-after", String(error.retryAfterSeconds));
      return c.json(
        { error: error.message, ...(error.issues ? { issues: error.issues } : {}) },
        error.status,
      );
    }
    deps.logger.error({ err: error, path: c.req.path }, "runner endpoint failed");
    return c.json({ error: "internal error; the run may retry this call" }, 500);
  });

  async function loadManifest(id: string): Promise<WorkManifestRow> {
    const manifest = await findManifest(db, id);
    if (!manifest || manifest.vcs !== vcs)
      throw new RunnerApiError(404, `work manifest ${id} does not exist`);
    return manifest;
  }

  // Authentication comes before the body is read; the limit refuses an oversized body by its length alone.
  const initiateTooLarge = `an initiate request is at most ${initiateMaxBytes} bytes`;
  const planTooLarge = `the plan is larger than the server's limit of ${deps.config.TERRAGATE_PLAN_MAX_BYTES} bytes (TERRAGATE_PLAN_MAX_BYTES)`;
  const resultsTooLarge = `the results are larger than ${resultsMaxBytes / 1024 / 1024} MiB`;

  app.post("/:id/initiate", limitBody(initiateMaxBytes, initiateTooLarge), async (c) => {
    const id = c.req.param("id");
    const token = bearerToken(c);
    const manifest = await loadManifest(id);
    const repository = await findRepository(db, manifest.repositoryId);
    if (!repository) throw new RunnerApiError(404, `the repository of work manifest ${id} is gone`);
    const credential = await authenticateRunner(deps, vcs, token, manifest, repository);
    const parsed = InitiateRequest.safeParse(await readJson(c.req.raw, initiateMaxBytes, initiateTooLarge));
    if (!parsed.success) throw new RunnerApiError(400, "invalid initiate request", zodIssues(parsed.error));
    return c.json(await initiateRun(deps, vcs, { manifest, repository, credential, request: parsed.data }));
  });

  app.post("/:id/plans", limitBody(planBodyLimit, planTooLarge), async (c) => {
    const id = c.req.param("id");
    await requireManifestClaims(c, deps.encryptionKey, id, "plans:write");
    const parsed = PlanUpload.safeParse(await readJson(c.req.raw, planBodyLimit, planTooLarge));
    if (!parsed.success) throw new RunnerApiError(400, "invalid plan upload", zodIssues(parsed.error));
    const upload = parsed.data;
    const manifest = await loadManifest(id);
    if (isFinished(manifest.state))
      throw new RunnerApiError(409, `work manifest ${id} is already ${manifest.state}`);
    const dirspaces = await listDirspaces(db, id);
    if (!dirspaces.some((d) => d.dir === upload.dir && d.workspace === upload.workspace)) {
      throw new RunnerApiError(
        400,
        `${upload.dir} (${upload.workspace}) is not a dirspace of work manifest ${id}`,
        [{ path: "dir", message: "not in this manifest" }],
      );
    }
    const planBytes = Buffer.from(upload.plan, "base64");
    if (planBytes.length > deps.config.TERRAGATE_PLAN_MAX_BYTES) {
      throw new RunnerApiError(
        413,
        `the plan is ${planBytes.length} bytes, over the server's limit of ${deps.config.TERRAGATE_PLAN_MAX_BYTES} (TERRAGATE_PLAN_MAX_BYTES)`,
      );
    }
    const sealed = seal(deps.encryptionKey, planBytes, planContext(id, upload.dir, upload.workspace));
    await db.transaction(async (tx) => {
      await tx
        .delete(plans)
        .where(
          sql`${plans.workManifestId} = ${id} and ${plans.dir} = ${upload.dir} and ${plans.workspace} = ${upload.workspace}`,
        );
      await tx.insert(plans).values({
        installationId: manifest.installationId,
        repositoryId: manifest.repositoryId,
        pullRequestId: manifest.pullRequestId,
        workManifestId: id,
        dir: upload.dir,
        workspace: upload.workspace,
        baseSha: manifest.baseSha,
        headSha: manifest.headSha,
        hasChanges: upload.has_changes,
        sealed,
        sizeBytes: planBytes.length,
        expiresAt: new Date(Date.now() + PLAN_RETENTION_DAYS * 86_400_000),
      });
    });
    return c.json({ stored: true, size_bytes: planBytes.length }, 201);
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
    const manifest = await loadManifest(id);
    if (isFinished(manifest.state))
      throw new RunnerApiError(409, `work manifest ${id} is already ${manifest.state}`);
    const dirspaces = await listDirspaces(db, id);
    const dirspace = dirspaces.find((d) => d.dir === dir && d.workspace === workspace);
    if (!dirspace) {
      throw new RunnerApiError(404, `${dir} (${workspace}) is not a dirspace of work manifest ${id}`);
    }
    // Exactly the plan the evaluator validated for this apply (manifests from before plans were
    // recorded fall back to the latest successful one, still checked against the shas below).
    const plan =
      dirspace.planId !== null
        ? await planById(db, dirspace.planId, manifest.pullRequestId)
        : manifest.pullRequestId === null
          ? undefined
          : await latestSuccessfulPlan(db, manifest.pullRequestId, dir, workspace);
    if (!plan) {
      throw new RunnerApiError(
        404,
        `there is no successful plan of ${dir} (${workspace}) in this PR; comment \`terragate plan\``,
      );
    }
    if (plan.headSha !== manifest.headSha || plan.baseSha !== manifest.baseSha) {
      throw new RunnerApiError(
        409,
        `the stored plan of ${dir} (${workspace}) is from ${plan.headSha.slice(0, 7)} (base ${plan.baseSha.slice(0, 7)}), but this apply is for ${manifest.headSha.slice(0, 7)} (base ${manifest.baseSha.slice(0, 7)}); comment \`terragate plan\``,
      );
    }
    const bytes = unseal(deps.encryptionKey, plan.sealed, planContext(plan.workManifestId, dir, workspace));
    return c.body(new Uint8Array(bytes), 200, {
      "content-type": "application/octet-stream",
      "x-terragate-plan-head-sha": plan.headSha,
      "x-terragate-plan-has-changes": String(plan.hasChanges),
    });
  });

  app.post("/:id/apply-started", limitBody(initiateMaxBytes, initiateTooLarge), async (c) => {
    const id = c.req.param("id");
    await requireManifestClaims(c, deps.encryptionKey, id, "apply:start");
    const parsed = ApplyStarted.safeParse(await readJson(c.req.raw, initiateMaxBytes, initiateTooLarge));
    if (!parsed.success) throw new RunnerApiError(400, "invalid apply-started", zodIssues(parsed.error));
    const { dir, workspace } = parsed.data;
    const manifest = await loadManifest(id);
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

  app.put("/:id", limitBody(resultsMaxBytes, resultsTooLarge), async (c) => {
    const id = c.req.param("id");
    await requireManifestClaims(c, deps.encryptionKey, id, "results:write");
    const parsed = ResultsBody.safeParse(await readJson(c.req.raw, resultsMaxBytes, resultsTooLarge));
    if (!parsed.success) throw new RunnerApiError(400, "invalid results", zodIssues(parsed.error));
    const manifest = await loadManifest(id);
    const dirspaces = await listDirspaces(db, id);
    const outcome = await storeResults(db, manifest, dirspaces, parsed.data);
    if (outcome.type === "conflict") throw new RunnerApiError(409, outcome.reason);
    if (outcome.type === "invalid") throw new RunnerApiError(400, "invalid results", outcome.issues);
    return c.json({ state: outcome.state, stored: outcome.stored });
  });

  return app;
}
