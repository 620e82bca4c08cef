// Single-use work tokens: minted per dispatch attempt, bound to the run it created, consumed or revoked once.
import { and, eq, isNull, ne, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { workTokens } from "../schema/index.ts";

export type WorkTokenRow = typeof workTokens.$inferSelect;

/** Why a token cannot start a run of `manifestId`, or "ok". Pure, so the refusal can be explained. */
export type WorkTokenStatus = "ok" | "unknown" | "other_manifest" | "used" | "revoked" | "expired";

export function workTokenStatus(
  row: WorkTokenRow | undefined,
  manifestId: string,
  now: Date = new Date(),
): WorkTokenStatus {
  if (!row) return "unknown";
  if (row.workManifestId !== manifestId) return "other_manifest";
  if (row.usedAt !== null) return "used";
  if (row.revokedAt !== null) return "revoked";
  if (row.expiresAt.getTime() <= now.getTime()) return "expired";
  return "ok";
}

export async function findWorkToken(db: Executor, hash: string): Promise<WorkTokenRow | undefined> {
  const [row] = await db.select().from(workTokens).where(eq(workTokens.tokenHash, hash));
  return row;
}

export async function insertWorkToken(
  db: Executor,
  token: { hash: string; workManifestId: string; installationId: number; expiresAt: Date },
): Promise<void> {
  await db.insert(workTokens).values({
    tokenHash: token.hash,
    workManifestId: token.workManifestId,
    installationId: token.installationId,
    expiresAt: token.expiresAt,
  });
}

/** Marks a token used, only if it is still valid; false when another call used or revoked it first. */
export async function consumeWorkToken(tx: Executor, hash: string): Promise<boolean> {
  const rows = await tx
    .update(workTokens)
    .set({ usedAt: sql`now()` })
    .where(
      and(
        eq(workTokens.tokenHash, hash),
        isNull(workTokens.usedAt),
        isNull(workTokens.revokedAt),
        sql`${workTokens.expiresAt} > now()`,
      ),
    )
    .returning({ hash: workTokens.tokenHash });
  return rows.length === 1;
}

/** Revokes every unused token of a manifest (but `keepHash`), saying why; returns how many. */
export async function revokeWorkTokens(
  tx: Executor,
  manifestId: string,
  reason: string,
  keepHash?: string,
): Promise<number> {
  const rows = await tx
    .update(workTokens)
    .set({ revokedAt: sql`now()`, revokedReason: reason })
    .where(
      and(
        eq(workTokens.workManifestId, manifestId),
        isNull(workTokens.usedAt),
        isNull(workTokens.revokedAt),
        ...(keepHash === undefined ? [] : [ne(workTokens.tokenHash, keepHash)]),
      ),
    )
    .returning({ hash: workTokens.tokenHash });
  return rows.length;
}

/** Records which CI run a token's dispatch created: from then on only that run may present it. */
export async function bindWorkToken(tx: Executor, hash: string, runId: string): Promise<void> {
  await tx.update(workTokens).set({ runId }).where(eq(workTokens.tokenHash, hash));
}
