// Authentication of runner calls: work token or CI OIDC token for initiate, the manifest JWT afterwards.
import type { Context } from "hono";
import { type ManifestClaims, verifyManifestToken, WorkTokenError } from "../../crypto/work-token.ts";
import type { ManifestOperation } from "../../runner/protocol.ts";
import { bearerCredential } from "../auth/bearer.ts";

/** An HTTP error with the status and a message the runner prints for the person reading the CI log. */
export class RunnerApiError extends Error {
  override name = "RunnerApiError";
  readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 500 | 503;
  readonly issues: Array<{ path: string; message: string }> | undefined;
  /** Seconds after which the same call may succeed (a 503 while the dispatch is being recorded). */
  readonly retryAfterSeconds: number | undefined;
  constructor(
    status: RunnerApiError["status"],
    message: string,
    issues?: Array<{ path: string; message: string }>,
    retryAfterSeconds?: number,
  ) {
    super(message);
    this.status = status;
    this.issues = issues;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export function bearerToken(c: Context): string {
  const token = bearerCredential(c.req.header("authorization"));
  if (!token) {
    throw new RunnerApiError(
      401,
      "missing `Authorization: Bearer <token>` (a work token, OIDC token or manifest token)",
    );
  }
  return token;
}

/** Checks the manifest JWT of a call after initiate: valid, bound to this manifest, allowed this operation. */
export async function requireManifestClaims(
  c: Context,
  encryptionKey: Buffer,
  manifestId: string,
  operation: ManifestOperation,
): Promise<ManifestClaims> {
  const token = bearerToken(c);
  let claims: ManifestClaims;
  try {
    claims = await verifyManifestToken(encryptionKey, token);
  } catch (error) {
    if (error instanceof WorkTokenError) throw new RunnerApiError(401, error.message);
    throw error;
  }
  if (claims.manifestId !== manifestId) {
    throw new RunnerApiError(
      403,
      `this token belongs to work manifest ${claims.manifestId}, not ${manifestId}`,
    );
  }
  if (!claims.operations.includes(operation)) {
    throw new RunnerApiError(403, `this manifest's token does not allow ${operation}`);
  }
  return claims;
}
