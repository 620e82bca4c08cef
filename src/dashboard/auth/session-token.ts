// The dashboard's short-lived access token: an HS256 JWT in an HttpOnly cookie, signed by the API's rotating key ring.

import { errors, jwtVerify, SignJWT } from "jose";
import { z } from "zod";
import type { SigningKey } from "../../crypto/jwt.ts";
import type { SessionMembership } from "../../db/schema/index.ts";
import { Vcs } from "../../vcs/types.ts";

const ISSUER = "terragate";
const AUDIENCE = "terragate-dashboard";
/** Five minutes: sign-out and revoked memberships take effect within this, or at once for actions. */
export const SESSION_ACCESS_TTL_SECONDS = 300;

/** Who is signed in and what they may see, as proven by the access cookie. */
export interface SessionClaims {
  sessionId: string;
  vcs: Vcs;
  login: string;
  userExternalId: string;
  memberships: SessionMembership[];
  /** Named in TERRAGATE_ADMINS: may see the admin page. */
  serverAdmin: boolean;
}

const Payload = z.object({
  sub: z.string().uuid(),
  vcs: Vcs,
  login: z.string(),
  uid: z.string(),
  m: z.array(z.tuple([z.number().int(), z.union([z.literal(0), z.literal(1)])])),
  adm: z.boolean(),
});

export class SessionTokenError extends Error {
  override name = "SessionTokenError";
  readonly expired: boolean;
  constructor(message: string, expired: boolean, options?: ErrorOptions) {
    super(message, options);
    this.expired = expired;
  }
}

export async function signSessionToken(
  key: SigningKey,
  claims: SessionClaims,
  ttlSeconds = SESSION_ACCESS_TTL_SECONDS,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    vcs: claims.vcs,
    login: claims.login,
    uid: claims.userExternalId,
    m: claims.memberships.map((membership) => [membership.installationId, membership.admin ? 1 : 0]),
    adm: claims.serverAdmin,
  })
    .setProtectedHeader({ alg: "HS256", kid: key.kid, typ: "JWT" })
    .setSubject(claims.sessionId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .sign(key.secret);
}

interface VerifiedToken {
  claims: SessionClaims;
  kid: string;
  /** When it expires, in ms since the epoch: valid while now is before (as jose judges `exp`). */
  expiresAt: number;
}

async function verifyToken(
  token: string,
  resolveKey: (kid: string) => Promise<SigningKey | undefined>,
  now: number,
): Promise<VerifiedToken> {
  try {
    const { payload, protectedHeader } = await jwtVerify(
      token,
      async (header) => {
        const key = typeof header.kid === "string" ? await resolveKey(header.kid) : undefined;
        if (!key) throw new SessionTokenError("session token signed by an unknown key", false);
        return key.secret;
      },
      {
        algorithms: ["HS256"],
        issuer: ISSUER,
        audience: AUDIENCE,
        requiredClaims: ["exp"],
        currentDate: new Date(now),
      },
    );
    const parsed = Payload.parse(payload);
    return {
      claims: {
        sessionId: parsed.sub,
        vcs: parsed.vcs,
        login: parsed.login,
        userExternalId: parsed.uid,
        memberships: parsed.m.map(([installationId, admin]) => ({ installationId, admin: admin === 1 })),
        serverAdmin: parsed.adm,
      },
      kid: String(protectedHeader.kid),
      expiresAt: (payload.exp ?? 0) * 1000,
    };
  } catch (error) {
    if (error instanceof SessionTokenError) throw error;
    throw new SessionTokenError("session token is not valid", error instanceof errors.JWTExpired, {
      cause: error,
    });
  }
}

/** Tokens a verifier remembers; past this the oldest is forgotten. */
const rememberedTokens = 1000;

/**
 * verifySessionToken that remembers the tokens it has verified. A person's every page sends the same
 * access token for its five minutes, and verifying it again (an HMAC through WebCrypto, done on the
 * thread pool) was a tenth of a PR page's server time. A remembered token (the same string, signature
 * and all) is accepted only until its own expiry and while its key is still in the ring, as a fresh
 * verification would; anything else is verified in full.
 */
export function createSessionVerifier(
  resolveKey: (kid: string) => Promise<SigningKey | undefined>,
  now: () => number = Date.now,
): (token: string) => Promise<SessionClaims> {
  const verified = new Map<string, VerifiedToken>();
  return async (token) => {
    const known = verified.get(token);
    if (known) {
      if (known.expiresAt > now() && (await resolveKey(known.kid))) return known.claims;
      verified.delete(token);
    }
    const fresh = await verifyToken(token, resolveKey, now());
    if (verified.size >= rememberedTokens) verified.delete(verified.keys().next().value!);
    verified.set(token, fresh);
    return fresh.claims;
  };
}
