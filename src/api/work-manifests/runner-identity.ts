// Who may start a work manifest: its unused work token, or a CI OIDC token of the very run dispatched for it.
import type { JWTPayload } from "jose";
import type { Config } from "../../config/env.ts";
import { hashWorkToken, isWorkToken, verifyOidcToken, WorkTokenError } from "../../crypto/work-token.ts";
import type { Database } from "../../db/client.ts";
import { findWorkToken, type WorkTokenStatus, workTokenStatus } from "../../db/queries/work-tokens.ts";
import type { repositories, Vcs } from "../../db/schema/index.ts";
import { platformFor } from "../../vcs/registry.ts";
import type { WorkManifestRow } from "./manifest-store.ts";
import { RunnerApiError } from "./runner-auth.ts";

/** A credential that passed: which token (to consume) or which CI run it proves. */
export type RunnerCredential =
  | { kind: "work-token"; hash: string; runId: string | null }
  | { kind: "oidc"; runId: string | null };

type RepositoryRow = typeof repositories.$inferSelect;

function tokenRefusal(
  status: Exclude<WorkTokenStatus, "ok">,
  manifest: WorkManifestRow,
  reason: string | null,
) {
  const refusals: Record<Exclude<WorkTokenStatus, "ok">, RunnerApiError> = {
    unknown: new RunnerApiError(401, "unknown work token"),
    other_manifest: new RunnerApiError(
      403,
      `this work token was issued for another work manifest, not ${manifest.id}`,
    ),
    used: new RunnerApiError(
      401,
      `this work token was already used${manifest.runId ? ` (work manifest ${manifest.id} was started by run ${manifest.runId})` : ""}; a work token starts one run only`,
    ),
    revoked: new RunnerApiError(401, `this work token is no longer valid: ${reason ?? "revoked"}`),
    expired: new RunnerApiError(
      401,
      `this work token has expired; comment on the ${platformFor(manifest.vcs).words.changeRequestShort} to start a new run`,
    ),
  };
  return refusals[status];
}

/**
 * Authenticates an initiate call from its bearer token alone, before its body is read. A work token
 * must be unused and unrevoked; an OIDC token must be signed by the CI's issuer for this server and
 * carry the claims of the dispatched run (each platform's runnerAuth.identity).
 */
export async function authenticateRunner(
  deps: { config: Config; database: { db: Database } },
  vcs: Vcs,
  token: string,
  manifest: WorkManifestRow,
  repository: RepositoryRow,
): Promise<RunnerCredential> {
  if (isWorkToken(token)) {
    const hash = hashWorkToken(token);
    const row = await findWorkToken(deps.database.db, hash);
    const status = workTokenStatus(row, manifest.id);
    if (status !== "ok") throw tokenRefusal(status, manifest, row?.revokedReason ?? null);
    return { kind: "work-token", hash, runId: row?.runId ?? manifest.runId };
  }
  const platform = platformFor(vcs);
  let claims: JWTPayload;
  try {
    const webUrl = await platform.links.instanceUrl(deps, manifest.installationId);
    claims = await verifyOidcToken(token, platform.runnerAuth.oidc(deps.config, webUrl));
  } catch (error) {
    if (error instanceof WorkTokenError) throw new RunnerApiError(401, error.message);
    throw error;
  }
  const identity = platform.runnerAuth.identity(claims, {
    repositoryId: repository.externalId,
    fullName: repository.fullName,
    defaultBranch: repository.defaultBranch,
    runId: manifest.runId,
  });
  if (identity.problems.length > 0) {
    throw new RunnerApiError(
      403,
      `this OIDC token cannot start work manifest ${manifest.id}: ${identity.problems.join("; ")}`,
    );
  }
  return { kind: "oidc", runId: identity.runId };
}

/** The run id to record for the run: the OIDC token's, or the one the caller names when its work token allows it. */
export function boundRunId(credential: RunnerCredential, requestedRunId: string): string {
  if (credential.kind === "oidc") return credential.runId ?? requestedRunId;
  if (credential.runId !== null && credential.runId !== requestedRunId) {
    throw new RunnerApiError(
      403,
      `this work token was sent to run ${credential.runId}; run ${requestedRunId} cannot use it`,
    );
  }
  return requestedRunId;
}
