// The runner endpoints under /api/{github,gitlab}/v1/work-manifests: initiate, plans up and down, results.
import { sql } from "drizzle-orm";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ZodError } from "zod";
import { seal, unseal } from "../../crypto/seal.ts";
import { hashWorkToken, isWorkToken, verifyOidcToken, WorkTokenError } from "../../crypto/work-token.ts";
import { plans, type Vcs } from "../../db/schema/index.ts";
import { InitiateRequest, PlanUpload, ResultsBody } from "../../runner/protocol.ts";
import type { AppDeps } from "../app.ts";
import { abortManifest, buildManifestResponse } from "./initiate.ts";
import {
  consumeWorkToken,
  findManifest,
  findPullRequest,
  findRepository,
  finishedStates,
  latestSuccessfulPlan,
  listDirspaces,
  markRunning,
  planContext,
  type WorkManifestRow,
} from "./manifest-store.ts";
import { bearerToken, oidcOptions, RunnerApiError, requireManifestClaims } from "./runner-auth.ts";
import { storeResults } from "./store-results.ts";

const PLAN_RETENTION_DAYS = 14;

function zodIssues(error: ZodError): Array<{ path: string; message: string }> {
  return error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));
}

async function readJson(request: Request): Promise<unknown> {
  try {
    return await request.json();
  } catch {
    throw new RunnerApiError(400, "the request body is not valid JSON");
  }
}

function isFinished(manifest: WorkManifestRow): boolean {
  return (finishedStates as readonly string[]).includes(manifest.state);
}

/** Runner endpoints for one VCS; the GitHub and GitLab mounts share this code. */
export function createWorkManifestRoutes(deps: AppDeps, vcs: Vcs): Hono {
  const { db } = deps.database;
  const app = new Hono();
  const planBodyLimit = Math.ceil((deps.config.TERRAGATE_PLAN_MAX_BYTES * 4) / 3) + 64 * 1024;

  app.onError((error, c) => {
    if (error instanceof RunnerApiError) {
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

  app.post("/:id/initiate", async (c) => {
    const id = c.req.param("id");
    const token = bearerToken(c);
    const parsed = InitiateRequest.safeParse(await readJson(c.req.raw));
    if (!parsed.success) throw new RunnerApiError(400, "invalid initiate request", zodIssues(parsed.error));
    const manifest = await loadManifest(id);
    const repository = await findRepository(db, manifest.repositoryId);
    if (!repository) throw new RunnerApiError(404, `the repository of work manifest ${id} is gone`);

    if (isWorkToken(token)) {
      const outcome = await consumeWorkToken(db, hashWorkToken(token), id);
      const refusal: Record<Exclude<typeof outcome, "ok">, RunnerApiError> = {
        unknown: new RunnerApiError(401, "unknown work token"),
        other_manifest: new RunnerApiError(
          403,
          `this work token was issued for another work manifest, not ${id}`,
        ),
        used: new RunnerApiError(401, "this work token was already used; a work token starts one run only"),
        expired: new RunnerApiError(401, "this work token has expired; comment on the PR to start a new run"),
      };
      if (outcome !== "ok") throw refusal[outcome];
    } else {
      try {
        const identity = await verifyOidcToken(token, oidcOptions(deps.config, vcs));
        if (identity.repositoryId !== repository.externalId) {
          throw new RunnerApiError(
            403,
            `the OIDC token is for repository ${identity.repositoryId}, but work manifest ${id} belongs to ${repository.fullName}`,
          );
        }
      } catch (error) {
        if (error instanceof WorkTokenError) throw new RunnerApiError(401, error.message);
        throw error;
      }
    }

    if (isFinished(manifest)) {
      return c.json({ type: "done", reason: `work manifest ${id} is already ${manifest.state}` });
    }
    const pullRequest = await findPullRequest(db, manifest.pullRequestId);
    if (pullRequest?.state === "open" && pullRequest.headSha !== manifest.headSha) {
      const reason = `the PR moved from ${manifest.headSha.slice(0, 7)} to ${pullRequest.headSha.slice(0, 7)} before this run started; the new commit is evaluated on its own`;
      await abortManifest(db, manifest, reason);
      return c.json({ type: "done", reason });
    }
    if (pullRequest?.state === "closed") {
      const reason = `PR #${pullRequest.number} was closed before this run started`;
      await abortManifest(db, manifest, reason);
      return c.json({ type: "done", reason });
    }
    const dirspaces = await listDirspaces(db, id);
    const response = await buildManifestResponse(deps, vcs, manifest, repository, pullRequest, dirspaces);
    if (response.type === "invalid") {
      await abortManifest(db, manifest, response.reason, "failed");
      return c.json({ type: "done", reason: response.reason });
    }
    await db.transaction(async (tx) => {
      await markRunning(tx, id, parsed.data.run_id);
    });
    deps.logger.info({ workManifestId: id, runId: parsed.data.run_id }, "run initiated");
    return c.json(response.manifest);
  });

  app.post(
    "/:id/plans",
    bodyLimit({
      maxSize: planBodyLimit,
      onError: () => {
        throw new RunnerApiError(
          413,
          `the plan is larger than the server's limit of ${deps.config.TERRAGATE_PLAN_MAX_BYTES} bytes (TERRAGATE_PLAN_MAX_BYTES)`,
        );
      },
    }),
    async (c) => {
      const id = c.req.param("id");
      await requireManifestClaims(c, deps.encryptionKey, id, "plans:write");
      const parsed = PlanUpload.safeParse(await readJson(c.req.raw));
      if (!parsed.success) throw new RunnerApiError(400, "invalid plan upload", zodIssues(parsed.error));
      const upload = parsed.data;
      const manifest = await loadManifest(id);
      if (isFinished(manifest))
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
    },
  );

  app.get("/:id/plans", async (c) => {
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
    if (isFinished(manifest))
      throw new RunnerApiError(409, `work manifest ${id} is already ${manifest.state}`);
    const dirspaces = await listDirspaces(db, id);
    if (!dirspaces.some((d) => d.dir === dir && d.workspace === workspace)) {
      throw new RunnerApiError(404, `${dir} (${workspace}) is not a dirspace of work manifest ${id}`);
    }
    const plan =
      manifest.pullRequestId === null
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

  app.put(
    "/:id",
    bodyLimit({
      maxSize: 256 * 1024 * 1024,
      onError: () => {
        throw new RunnerApiError(413, "the results are larger than 256 MiB");
      },
    }),
    async (c) => {
      const id = c.req.param("id");
      await requireManifestClaims(c, deps.encryptionKey, id, "results:write");
      const parsed = ResultsBody.safeParse(await readJson(c.req.raw));
      if (!parsed.success) throw new RunnerApiError(400, "invalid results", zodIssues(parsed.error));
      const manifest = await loadManifest(id);
      if (isFinished(manifest)) {
        throw new RunnerApiError(
          409,
          `work manifest ${id} is already ${manifest.state}; results are accepted once`,
        );
      }
      const dirspaces = await listDirspaces(db, id);
      const outcome = await storeResults(db, manifest, dirspaces, parsed.data);
      if (outcome.type === "conflict") {
        throw new RunnerApiError(409, `work manifest ${id} finished while these results were sent`);
      }
      if (outcome.type === "invalid") throw new RunnerApiError(400, "invalid results", outcome.issues);
      return c.json({ state: outcome.state });
    },
  );

  return app;
}
