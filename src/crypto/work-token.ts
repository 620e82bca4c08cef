// Runner credentials: single-use work tokens (stored hashed), manifest-bound JWTs, and CI OIDC token checks.
import { createHash, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify, SignJWT } from "jose";
import { type ManifestOperation, manifestOperations } from "../runner/protocol.ts";

const WORK_TOKEN_PREFIX = "tgw_";
const JWT_ISSUER = "terragate";
const JWT_AUDIENCE = "terragate-runner";

export class WorkTokenError extends Error {
  override name = "WorkTokenError";
}

/** A fresh single-use token for one dispatch; only its hash is stored. */
export function createWorkToken(): { token: string; hash: string } {
  const token = `${WORK_TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  return { token, hash: hashWorkToken(token) };
}

export function hashWorkToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export function isWorkToken(token: string): boolean {
  return token.startsWith(WORK_TOKEN_PREFIX);
}

/** Constant-time comparison of two token hashes (hex). */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, "hex");
  const right = Buffer.from(b, "hex");
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The manifest JWT key is derived from the encryption key, so no second secret has to be configured. */
function jwtKey(encryptionKey: Buffer): Uint8Array {
  return new Uint8Array(hkdfSync("sha256", encryptionKey, "", "terragate work-manifest jwt", 32));
}

export interface ManifestClaims {
  manifestId: string;
  /** Our repository row id (not the VCS's). */
  repositoryId: number;
  installationId: number;
  operations: ManifestOperation[];
}

/** Signs a short-lived JWT that lets one run call the endpoints of one manifest, and nothing else. */
export async function issueManifestToken(
  encryptionKey: Buffer,
  claims: ManifestClaims,
  lifetimeSeconds: number,
  now: Date = new Date(),
): Promise<{ token: string; expiresAt: Date }> {
  const issuedAt = Math.floor(now.getTime() / 1000);
  const expiresAt = new Date((issuedAt + lifetimeSeconds) * 1000);
  const token = await new SignJWT({
    repo: claims.repositoryId,
    inst: claims.installationId,
    ops: claims.operations,
  })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(JWT_ISSUER)
    .setAudience(JWT_AUDIENCE)
    .setSubject(claims.manifestId)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + lifetimeSeconds)
    .sign(jwtKey(encryptionKey));
  return { token, expiresAt };
}

/** Verifies a manifest JWT's signature, lifetime and shape; throws WorkTokenError saying why not. */
export async function verifyManifestToken(encryptionKey: Buffer, token: string): Promise<ManifestClaims> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, jwtKey(encryptionKey), {
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      algorithms: ["HS256"],
    }));
  } catch (cause) {
    const reason = cause instanceof errors.JWTExpired ? "has expired" : "is not valid";
    throw new WorkTokenError(`the run's manifest token ${reason}; start the run again`, { cause });
  }
  const ops = Array.isArray(payload["ops"]) ? payload["ops"] : [];
  const operations = ops.filter((op): op is ManifestOperation =>
    (manifestOperations as readonly unknown[]).includes(op),
  );
  if (
    typeof payload.sub !== "string" ||
    typeof payload["repo"] !== "number" ||
    typeof payload["inst"] !== "number"
  ) {
    throw new WorkTokenError("the run's manifest token lacks its manifest binding");
  }
  return {
    manifestId: payload.sub,
    repositoryId: payload["repo"],
    installationId: payload["inst"],
    operations,
  };
}

export interface OidcOptions {
  issuer: string;
  jwksUrl: string;
  audience: string;
  /** What to check in the CI definition when a token is refused, in the CI's own words. */
  setupHint?: string;
}

const jwksCache = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

function remoteJwks(url: string): ReturnType<typeof createRemoteJWKSet> {
  let jwks = jwksCache.get(url);
  if (!jwks) {
    jwks = createRemoteJWKSet(new URL(url), { timeoutDuration: 10_000, cooldownDuration: 30_000 });
    jwksCache.set(url, jwks);
  }
  return jwks;
}

/**
 * Verifies a CI OIDC token's signature (the issuer's published keys), issuer, audience and lifetime, and
 * returns its claims. Which claims must hold for a run is the VCS's rule (src/api/work-manifests/runner-identity.ts).
 */
export async function verifyOidcToken(token: string, options: OidcOptions): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, remoteJwks(options.jwksUrl), {
      issuer: options.issuer,
      audience: options.audience,
      algorithms: ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"],
    });
    return payload;
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new WorkTokenError(
      `the OIDC token was rejected (${detail}); ${options.setupHint ?? `check the job grants \`id-token: write\` and that the audience is ${options.audience}`}`,
      { cause },
    );
  }
}
