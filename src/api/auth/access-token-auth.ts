// Access-token middleware and the per-route checks: who is calling (token), may they (capability), for whom (tenant).
import type { Context, MiddlewareHandler } from "hono";
import { type AccessTokenClaims, AccessTokenError, verifyAccessToken } from "../../crypto/jwt.ts";
import { ApiError } from "../v1/api-error.ts";
import { bearerCredential } from "./bearer.ts";
import type { Capability } from "./capabilities.ts";
import type { RateLimiter } from "./rate-limiter.ts";
import type { SigningKeyStore } from "./signing-key-store.ts";

/** The installation a `/{vcs}/installations/{installation}/…` URL names, checked against the token. */
export interface TenantInstallation {
  /** The internal id every query of the route is scoped by. */
  id: number;
  vcs: string;
  externalId: string;
}

/** The Hono environment of the authenticated API routes. */
export interface ApiEnv {
  Variables: { principal: AccessTokenClaims; installation: TenantInstallation };
}

/** Reads `Authorization: Bearer <token>`; throws 401 with what to send instead. */
export function bearerToken(c: Context): string {
  const token = bearerCredential(c.req.header("authorization"));
  if (!token) {
    throw new ApiError(401, "unauthorized", "send `Authorization: Bearer <access token>`", {
      headers: { "WWW-Authenticate": 'Bearer realm="terragate"' },
    });
  }
  return token;
}

export function rateLimitError(retryAfterSeconds: number): ApiError {
  return new ApiError(
    429,
    "rate_limited",
    `too many requests for this key; retry in ${retryAfterSeconds} s`,
    {
      headers: { "Retry-After": String(retryAfterSeconds) },
      details: { retry_after: retryAfterSeconds },
    },
  );
}

/** Verifies the access token, applies the key's rate limit, and stores the claims as `principal`. */
export function requireAccessToken(options: {
  keyStore: SigningKeyStore;
  rateLimiter: RateLimiter;
  /** Paths (relative to the mount point's full path) that need no token, e.g. the refresh route. */
  isPublic: (path: string) => boolean;
}): MiddlewareHandler<ApiEnv> {
  // Clients reuse one token for its whole minute: remember verified tokens until they expire, so the
  // signature is checked once per token rather than once per request.
  const verified = createVerifiedTokenCache(10_000);
  async function verifyAndRemember(token: string): Promise<AccessTokenClaims> {
    const claims = await verifyAccessToken(token, (kid) => options.keyStore.resolve(kid));
    verified.set(token, claims);
    return claims;
  }
  return async (c, next) => {
    if (options.isPublic(c.req.path)) return next();
    const token = bearerToken(c);
    let principal: AccessTokenClaims;
    try {
      principal = verified.get(token) ?? (await verifyAndRemember(token));
    } catch (error) {
      if (!(error instanceof AccessTokenError)) throw error;
      throw new ApiError(
        401,
        error.problem === "expired" ? "token_expired" : "unauthorized",
        error.problem === "expired"
          ? "access token expired; get a new one from POST /api/v1/access-token/refresh with the API key"
          : "access token is not valid; get one from POST /api/v1/access-token/refresh with the API key",
        { headers: { "WWW-Authenticate": 'Bearer realm="terragate", error="invalid_token"' } },
      );
    }
    const retryAfter = options.rateLimiter.take(principal.keyId);
    if (retryAfter > 0) throw rateLimitError(retryAfter);
    c.set("principal", principal);
    await next();
  };
}

/** Verified tokens with their claims, dropped at expiry; bounded by clearing when full. */
function createVerifiedTokenCache(maxEntries: number) {
  const entries = new Map<string, { claims: AccessTokenClaims; expiresAt: number }>();
  return {
    get(token: string): AccessTokenClaims | undefined {
      const entry = entries.get(token);
      if (!entry) return undefined;
      if (Date.now() >= entry.expiresAt) {
        entries.delete(token);
        return undefined;
      }
      return entry.claims;
    },
    set(token: string, claims: AccessTokenClaims): void {
      const expiresAt = tokenExpiry(token);
      if (expiresAt === undefined) return;
      if (entries.size >= maxEntries) entries.clear();
      entries.set(token, { claims, expiresAt });
    },
  };
}

/** The `exp` of a token whose signature was already verified, in milliseconds. */
function tokenExpiry(token: string): number | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as {
      exp?: unknown;
    };
    return typeof payload.exp === "number" ? payload.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** The caller's claims after checking that they hold `capability` (403 otherwise). */
export function authorize(c: Context<ApiEnv>, capability: Capability): AccessTokenClaims {
  const principal = c.get("principal");
  if (!principal.capabilities.includes(capability)) {
    throw new ApiError(403, "forbidden", `this key lacks the capability ${capability}`, {
      details: { required: capability, held: principal.capabilities },
    });
  }
  return principal;
}

/**
 * The internal installation id for a `/{vcs}/…/{installation}` URL, after checking the token belongs
 * to it. Another installation's URL answers 404, exactly like one that does not exist.
 */
export function tenantInstallation(principal: AccessTokenClaims, vcs: string, installation: string): number {
  if (principal.vcs !== vcs || principal.installationExternalId !== installation) {
    throw new ApiError(
      404,
      "not_found",
      `installation ${vcs}/${installation} not found for this access token`,
    );
  }
  return principal.installationId;
}

/**
 * The tenant middleware of `/{vcs}/installations/{installation}/…` and `/{vcs}/kv/{installation}/…`: checks the token belongs to that
 * installation (404 otherwise, before any capability is looked at) and sets `c.get("installation")`.
 */
export function requireTenant(): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const vcs = c.req.param("vcs") ?? "";
    const externalId = c.req.param("installation") ?? "";
    const id = tenantInstallation(c.get("principal"), vcs, externalId);
    c.set("installation", { id, vcs, externalId });
    await next();
  };
}
