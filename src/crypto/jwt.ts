// Short-lived API access tokens: HS256 JWTs with a key id, verified against every key still in rotation.

import { randomBytes } from "node:crypto";
import { errors, jwtVerify, SignJWT } from "jose";
import { z } from "zod";
import { Grant } from "../api/auth/capabilities.ts";
import { Vcs } from "../vcs/types.ts";

const ISSUER = "terragate";
const AUDIENCE = "terragate-api";
export const ACCESS_TOKEN_TTL_SECONDS = 60;

/** One HMAC key; the newest signs, all that are not retired verify (so rotation needs no downtime). */
export interface SigningKey {
  kid: string;
  secret: Uint8Array;
  createdAt: Date;
}

/** What an access token proves: which API key asked, for which installation, allowed to do what. */
export const AccessTokenClaims = z.object({
  keyId: z.string(),
  installationId: z.number().int(),
  vcs: Vcs,
  installationExternalId: z.string(),
  capabilities: z.array(Grant),
});
export type AccessTokenClaims = z.infer<typeof AccessTokenClaims>;

const Payload = z.object({
  sub: z.string(),
  iid: z.number().int(),
  vcs: Vcs,
  ext: z.string(),
  caps: z.array(Grant),
});

export type AccessTokenProblem = "expired" | "invalid" | "unknown_key";

export class AccessTokenError extends Error {
  override name = "AccessTokenError";
  readonly problem: AccessTokenProblem;
  constructor(problem: AccessTokenProblem, message: string, options?: ErrorOptions) {
    super(message, options);
    this.problem = problem;
  }
}

/** A new random signing key with a random key id. */
export function createSigningKey(now = new Date()): SigningKey {
  return { kid: randomBytes(9).toString("base64url"), secret: randomBytes(32), createdAt: now };
}

export async function signAccessToken(
  key: SigningKey,
  claims: AccessTokenClaims,
  options: { now?: Date; ttlSeconds?: number } = {},
): Promise<string> {
  const issuedAt = Math.floor((options.now ?? new Date()).getTime() / 1000);
  return new SignJWT({
    iid: claims.installationId,
    vcs: claims.vcs,
    ext: claims.installationExternalId,
    caps: claims.capabilities,
  })
    .setProtectedHeader({ alg: "HS256", kid: key.kid, typ: "JWT" })
    .setSubject(claims.keyId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + (options.ttlSeconds ?? ACCESS_TOKEN_TTL_SECONDS))
    .setJti(randomBytes(9).toString("base64url"))
    .sign(key.secret);
}

/**
 * Verifies signature, issuer, audience and expiry; `resolveKey` finds the verification key by the
 * header's `kid` (undefined when the key is unknown or retired).
 */
export async function verifyAccessToken(
  token: string,
  resolveKey: (kid: string) => Promise<SigningKey | undefined>,
  options: { now?: Date } = {},
): Promise<AccessTokenClaims> {
  try {
    const { payload } = await jwtVerify(
      token,
      async (header) => {
        if (typeof header.kid !== "string") throw new AccessTokenError("invalid", "token has no key id");
        const key = await resolveKey(header.kid);
        if (!key) throw new AccessTokenError("unknown_key", "token was signed by an unknown or retired key");
        return key.secret;
      },
      {
        algorithms: ["HS256"],
        issuer: ISSUER,
        audience: AUDIENCE,
        ...(options.now ? { currentDate: options.now } : {}),
      },
    );
    const parsed = Payload.parse(payload);
    return {
      keyId: parsed.sub,
      installationId: parsed.iid,
      vcs: parsed.vcs,
      installationExternalId: parsed.ext,
      capabilities: parsed.caps,
    };
  } catch (error) {
    if (error instanceof AccessTokenError) throw error;
    if (error instanceof errors.JWTExpired) {
      throw new AccessTokenError("expired", "access token expired; refresh it with the API key", {
        cause: error,
      });
    }
    throw new AccessTokenError("invalid", "access token is not valid", { cause: error });
  }
}
