// Dashboard sessions and their refresh tokens: create on sign-in, rotate on refresh (once per token), revoke the family.
import { and, eq, inArray, isNull, lt, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import {
  dashboardRefreshTokens,
  dashboardSessions,
  installations,
  type SessionMembership,
  type Vcs,
} from "../schema/index.ts";

export interface NewSession {
  id: string;
  vcs: Vcs;
  userExternalId: string;
  login: string;
  name: string;
  memberships: SessionMembership[];
  vcsTokensSealed: Buffer;
  expiresAt: Date;
  refreshTokenHash: string;
  refreshExpiresAt: Date;
}

export type SessionRow = typeof dashboardSessions.$inferSelect;
export type RefreshTokenRow = typeof dashboardRefreshTokens.$inferSelect;

/** The session and its first refresh token, together. */
export async function insertSession(executor: Executor, session: NewSession): Promise<void> {
  await executor.insert(dashboardSessions).values({
    id: session.id,
    vcs: session.vcs,
    userExternalId: session.userExternalId,
    login: session.login,
    name: session.name,
    memberships: session.memberships,
    vcsTokensSealed: session.vcsTokensSealed,
    expiresAt: session.expiresAt,
  });
  await executor.insert(dashboardRefreshTokens).values({
    tokenHash: session.refreshTokenHash,
    sessionId: session.id,
    expiresAt: session.refreshExpiresAt,
  });
}

/** A refresh token with its session, or undefined when the hash is unknown. */
export async function findRefreshToken(
  executor: Executor,
  tokenHash: string,
): Promise<{ token: RefreshTokenRow; session: SessionRow } | undefined> {
  const [row] = await executor
    .select({ token: dashboardRefreshTokens, session: dashboardSessions })
    .from(dashboardRefreshTokens)
    .innerJoin(dashboardSessions, eq(dashboardSessions.id, dashboardRefreshTokens.sessionId))
    .where(eq(dashboardRefreshTokens.tokenHash, tokenHash));
  return row;
}

/** Whether the token issued in exchange for this one has itself been used. */
export async function successorUsed(executor: Executor, successorHash: string): Promise<boolean> {
  const [row] = await executor
    .select({ usedAt: dashboardRefreshTokens.usedAt })
    .from(dashboardRefreshTokens)
    .where(eq(dashboardRefreshTokens.tokenHash, successorHash));
  return row === undefined || row.usedAt !== null;
}

export interface Rotation {
  sessionId: string;
  oldHash: string;
  newHash: string;
  newExpiresAt: Date;
  memberships: SessionMembership[];
  vcsTokensSealed: Buffer;
}

/**
 * Exchanges a refresh token for its successor: marks the old one used only if nobody else did first
 * (the `used_at is null` guard makes two concurrent exchanges end with exactly one winner), stores the
 * successor and the fresh memberships. Run it in a transaction. False when the token was already used.
 */
export async function rotateRefreshToken(executor: Executor, rotation: Rotation): Promise<boolean> {
  const used = await executor
    .update(dashboardRefreshTokens)
    .set({ usedAt: sql`now()`, successorHash: rotation.newHash })
    .where(
      and(
        eq(dashboardRefreshTokens.tokenHash, rotation.oldHash),
        eq(dashboardRefreshTokens.sessionId, rotation.sessionId),
        isNull(dashboardRefreshTokens.usedAt),
      ),
    )
    .returning({ tokenHash: dashboardRefreshTokens.tokenHash });
  if (used.length === 0) return false;
  await executor.insert(dashboardRefreshTokens).values({
    tokenHash: rotation.newHash,
    sessionId: rotation.sessionId,
    expiresAt: rotation.newExpiresAt,
  });
  await executor
    .update(dashboardSessions)
    .set({
      memberships: rotation.memberships,
      vcsTokensSealed: rotation.vcsTokensSealed,
      refreshedAt: sql`now()`,
    })
    .where(eq(dashboardSessions.id, rotation.sessionId));
  return true;
}

/** Ends a session family: every refresh token of it stops working at once. */
export async function revokeSession(executor: Executor, sessionId: string, reason: string): Promise<boolean> {
  const rows = await executor
    .update(dashboardSessions)
    .set({ revokedAt: sql`now()`, revokedReason: reason })
    .where(and(eq(dashboardSessions.id, sessionId), isNull(dashboardSessions.revokedAt)))
    .returning({ id: dashboardSessions.id });
  return rows.length > 0;
}

/** Whether the session is still live (not revoked, not past its end). */
export async function sessionIsLive(executor: Executor, sessionId: string): Promise<boolean> {
  const [row] = await executor
    .select({ id: dashboardSessions.id })
    .from(dashboardSessions)
    .where(
      and(
        eq(dashboardSessions.id, sessionId),
        isNull(dashboardSessions.revokedAt),
        sql`${dashboardSessions.expiresAt} > now()`,
      ),
    );
  return row !== undefined;
}

/** Drops sessions that ended more than a day ago (their tokens go with them). */
export async function deleteEndedSessions(executor: Executor): Promise<number> {
  const rows = await executor
    .delete(dashboardSessions)
    .where(lt(dashboardSessions.expiresAt, sql`now() - interval '1 day'`))
    .returning({ id: dashboardSessions.id });
  return rows.length;
}

/** Live installations of one VCS, by the VCS's ids (all of them when `externalIds` is null). */
export async function installationCandidates(
  executor: Executor,
  vcs: Vcs,
  externalIds: readonly string[] | null,
) {
  if (externalIds !== null && externalIds.length === 0) return [];
  return executor
    .select({
      id: installations.id,
      externalId: installations.externalId,
      accountLogin: installations.accountLogin,
      accountType: installations.accountType,
    })
    .from(installations)
    .where(
      and(
        eq(installations.vcs, vcs),
        isNull(installations.deletedAt),
        externalIds === null ? undefined : inArray(installations.externalId, [...externalIds]),
      ),
    )
    .orderBy(installations.id);
}
