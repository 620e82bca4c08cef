// Dashboard sessions: sign-in after OAuth, refresh with rotation (a reused token ends the family), sign-out.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { z } from "zod";
import type { SigningKeyStore } from "../../api/auth/signing-key-store.ts";
import type { Config } from "../../config/env.ts";
import { seal, unseal } from "../../crypto/seal.ts";
import type { DatabaseClient } from "../../db/client.ts";
import {
  deleteEndedSessions,
  findRefreshToken,
  insertSession,
  installationCandidates,
  revokeSession,
  rotateRefreshToken,
  type SessionRow,
  sessionIsLive,
  successorUsed,
} from "../../db/queries/dashboard-sessions.ts";
import type { SessionMembership } from "../../db/schema/index.ts";
import { OAuthError, type OAuthProvider, type OAuthTokens, type VcsUser } from "../../vcs/oauth.ts";
import type { VcsName } from "../../vcs/types.ts";
import { type SessionClaims, signSessionToken } from "./session-token.ts";

/** A refresh token lives a week from its issue; every refresh issues a new one. */
export const REFRESH_TOKEN_TTL_SECONDS = 7 * 24 * 3600;
/** However often it is refreshed, a sign-in ends after 30 days. */
const SESSION_MAX_SECONDS = 30 * 24 * 3600;
/**
 * A browser that fires several requests at once with the same expired access token presents the
 * same refresh token more than once. Within this window, and only while its successor is unused,
 * a second exchange gets an access token (and no new refresh token) instead of ending the session.
 */
const REUSE_GRACE_MS = 10_000;
/** Memberships ride in the access cookie; more than this would not fit in 4 KB. */
const MAX_MEMBERSHIPS = 250;

export interface SessionServiceDeps {
  config: Config;
  database: DatabaseClient;
  logger: Logger;
  encryptionKey: Buffer;
  keyStore: SigningKeyStore;
  /** The sign-in provider of a VCS, or null when that sign-in is not configured. */
  providerFor: (vcs: VcsName) => Promise<OAuthProvider | null>;
  accessTtlSeconds: number;
}

export interface IssuedSession {
  accessToken: string;
  /** Absent in the reuse grace window: the browser keeps the refresh token it already received. */
  refreshToken: string | null;
  claims: SessionClaims;
}

export type RefreshOutcome =
  | { kind: "refreshed"; session: IssuedSession }
  | { kind: "ended"; reason: string };

const SealedTokens = z.object({
  accessToken: z.string(),
  refreshToken: z.string().nullable(),
  expiresAt: z.string().nullable(),
});

export function hashRefreshToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

function newRefreshToken(): string {
  return `tgr_${randomBytes(32).toString("base64url")}`;
}

const tokensContext = (sessionId: string) => `dashboard-session:${sessionId}`;

export function createSessionService(deps: SessionServiceDeps) {
  const db = deps.database.db;
  const admins = new Set(
    (deps.config.TERRAGATE_ADMINS ?? "")
      .split(",")
      .map((entry) => entry.trim().toLowerCase())
      .filter((entry) => entry !== ""),
  );

  function sealTokens(sessionId: string, tokens: OAuthTokens): Buffer {
    const json = JSON.stringify({ ...tokens, expiresAt: tokens.expiresAt?.toISOString() ?? null });
    return seal(deps.encryptionKey, Buffer.from(json), tokensContext(sessionId));
  }

  function unsealTokens(session: SessionRow): OAuthTokens {
    const plain = unseal(deps.encryptionKey, session.vcsTokensSealed, tokensContext(session.id));
    const parsed = SealedTokens.parse(JSON.parse(plain.toString("utf8")));
    return { ...parsed, expiresAt: parsed.expiresAt === null ? null : new Date(parsed.expiresAt) };
  }

  async function memberships(provider: OAuthProvider, tokens: OAuthTokens, user: VcsUser) {
    const access = await provider.installationAccess(tokens, user, (ids) =>
      installationCandidates(db, provider.vcs, ids),
    );
    if (access.length > MAX_MEMBERSHIPS) {
      deps.logger.warn(
        { login: user.login, count: access.length },
        "dashboard shows the first 250 installations",
      );
    }
    return access.slice(0, MAX_MEMBERSHIPS);
  }

  async function accessToken(
    row: Pick<SessionRow, "id" | "vcs" | "login" | "userExternalId">,
    list: SessionMembership[],
  ) {
    const claims: SessionClaims = {
      sessionId: row.id,
      vcs: row.vcs,
      login: row.login,
      userExternalId: row.userExternalId,
      memberships: list,
      serverAdmin: admins.has(`${row.vcs}:${row.login.toLowerCase()}`),
    };
    const token = await signSessionToken(await deps.keyStore.signingKey(), claims, deps.accessTtlSeconds);
    return { token, claims };
  }

  /** Starts a session for a person the VCS just vouched for. */
  async function signIn(provider: OAuthProvider, tokens: OAuthTokens, user: VcsUser): Promise<IssuedSession> {
    const list = await memberships(provider, tokens, user);
    const id = randomUUID();
    const refreshToken = newRefreshToken();
    const now = Date.now();
    await db.transaction(async (tx) => {
      await insertSession(tx, {
        id,
        vcs: provider.vcs,
        userExternalId: user.externalId,
        login: user.login,
        name: user.name,
        memberships: list,
        vcsTokensSealed: sealTokens(id, tokens),
        expiresAt: new Date(now + SESSION_MAX_SECONDS * 1000),
        refreshTokenHash: hashRefreshToken(refreshToken),
        refreshExpiresAt: new Date(now + REFRESH_TOKEN_TTL_SECONDS * 1000),
      });
    });
    await deleteEndedSessions(db).catch((error: unknown) =>
      deps.logger.warn({ err: error }, "could not delete ended dashboard sessions"),
    );
    const issued = await accessToken(
      { id, vcs: provider.vcs, login: user.login, userExternalId: user.externalId },
      list,
    );
    deps.logger.info(
      { login: user.login, vcs: provider.vcs, installations: list.length },
      "dashboard sign-in",
    );
    return { accessToken: issued.token, refreshToken, claims: issued.claims };
  }

  /** The VCS's view of the person now: fresh tokens and memberships, or why the session must end. */
  async function recheck(
    session: SessionRow,
  ): Promise<
    { kind: "ended"; reason: string } | { kind: "ok"; tokens: OAuthTokens; memberships: SessionMembership[] }
  > {
    const provider = await deps.providerFor(session.vcs);
    if (!provider) return { kind: "ended", reason: `sign-in with ${session.vcs} is no longer configured` };
    const user: VcsUser = { externalId: session.userExternalId, login: session.login, name: session.name };
    let tokens = unsealTokens(session);
    try {
      // Refreshed well ahead: until the next session refresh (one access token's life) the VCS token must stay valid.
      if (
        tokens.expiresAt !== null &&
        tokens.expiresAt.getTime() - 2 * deps.accessTtlSeconds * 1000 < Date.now()
      ) {
        tokens = await provider.refresh(tokens);
      }
      return { kind: "ok", tokens, memberships: await memberships(provider, tokens, user) };
    } catch (error) {
      if (error instanceof OAuthError && error.kind !== "revoked") {
        // The VCS is unreachable: keep what it said last rather than lock everyone out.
        deps.logger.warn(
          { err: error, login: session.login },
          "membership re-check failed; keeping the last one",
        );
        return { kind: "ok", tokens, memberships: session.memberships };
      }
      if (error instanceof OAuthError) return { kind: "ended", reason: `access revoked on ${session.vcs}` };
      throw error;
    }
  }

  async function refresh(refreshToken: string): Promise<RefreshOutcome> {
    const hash = hashRefreshToken(refreshToken);
    for (let attempt = 0; attempt < 2; attempt++) {
      const found = await findRefreshToken(db, hash);
      if (!found) return { kind: "ended", reason: "unknown refresh token" };
      const { token, session } = found;
      if (session.revokedAt !== null) return { kind: "ended", reason: session.revokedReason ?? "signed out" };
      if (session.expiresAt.getTime() <= Date.now() || token.expiresAt.getTime() <= Date.now()) {
        return { kind: "ended", reason: "session expired" };
      }
      if (token.usedAt !== null) {
        const recent = Date.now() - token.usedAt.getTime() <= REUSE_GRACE_MS;
        if (recent && token.successorHash && !(await successorUsed(db, token.successorHash))) {
          const issued = await accessToken(session, session.memberships);
          return {
            kind: "refreshed",
            session: { accessToken: issued.token, refreshToken: null, claims: issued.claims },
          };
        }
        await revokeSession(db, session.id, "refresh token reused");
        deps.logger.warn(
          { sessionId: session.id, login: session.login },
          "refresh token reused: session revoked",
        );
        return { kind: "ended", reason: "refresh token reused" };
      }
      const fresh = await recheck(session);
      if (fresh.kind === "ended") {
        await revokeSession(db, session.id, fresh.reason);
        return { kind: "ended", reason: fresh.reason };
      }
      const next = newRefreshToken();
      const rotated = await db.transaction((tx) =>
        rotateRefreshToken(tx, {
          sessionId: session.id,
          oldHash: hash,
          newHash: hashRefreshToken(next),
          newExpiresAt: new Date(Date.now() + REFRESH_TOKEN_TTL_SECONDS * 1000),
          memberships: fresh.memberships,
          vcsTokensSealed: sealTokens(session.id, fresh.tokens),
        }),
      );
      // Lost a race with a concurrent exchange of the same token: look again (grace or reuse).
      if (!rotated) continue;
      const issued = await accessToken(session, fresh.memberships);
      return {
        kind: "refreshed",
        session: { accessToken: issued.token, refreshToken: next, claims: issued.claims },
      };
    }
    return { kind: "ended", reason: "refresh token reused" };
  }

  return {
    signIn,
    refresh,
    signOut: (sessionId: string) => revokeSession(db, sessionId, "signed out"),
    isLive: (sessionId: string) => sessionIsLive(db, sessionId),
    /** The person's VCS tokens (refreshed when near expiry is not attempted here), for calls made as them. */
    async vcsTokens(sessionId: string): Promise<OAuthTokens | null> {
      const row = await db.query.dashboardSessions.findFirst({
        where: (table, { eq }) => eq(table.id, sessionId),
      });
      return row ? unsealTokens(row) : null;
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
