// API key records: create (with an audit entry), list, revoke, and the lookup behind a token refresh.

import { and, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import type { Grant } from "../../api/auth/capabilities.ts";
import { generateApiKey, hashApiKey } from "../../crypto/api-keys.ts";
import type { Vcs } from "../../vcs/types.ts";
import type { Executor } from "../client.ts";
import { apiKeys } from "../schema/index.ts";
import { recordAudit } from "./audit-log.ts";

export interface ApiKeyRecord {
  id: string;
  installationId: number;
  name: string;
  capabilities: string[];
  createdBy: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  /** The key that created this one through the API (null for keys made on the command line). */
  parentKeyId: string | null;
}

/** The creating key was revoked meanwhile: its access token still verifies for a minute, but it creates nothing. */
export class ParentKeyRevokedError extends Error {
  override name = "ParentKeyRevokedError";
}

const recordColumns = {
  id: apiKeys.id,
  installationId: apiKeys.installationId,
  name: apiKeys.name,
  capabilities: apiKeys.capabilities,
  createdBy: apiKeys.createdBy,
  createdAt: apiKeys.createdAt,
  lastUsedAt: apiKeys.lastUsedAt,
  revokedAt: apiKeys.revokedAt,
  parentKeyId: apiKeys.parentKeyId,
};

/**
 * Creates a key and its audit entry; the returned `key` is the only time the secret exists in clear.
 * A key created by another key (`parentKeyId`) is refused when that key is revoked; the parent's
 * row is locked while checking, so a revocation running at the same moment sees the new key.
 */
export async function createApiKey(
  executor: Executor,
  input: {
    installationId: number;
    name: string;
    capabilities: Grant[];
    createdBy: string;
    parentKeyId?: string;
  },
): Promise<{ key: string; record: ApiKeyRecord }> {
  if (input.parentKeyId !== undefined) {
    const [parent] = await executor
      .select({ revokedAt: apiKeys.revokedAt })
      .from(apiKeys)
      .where(eq(apiKeys.id, input.parentKeyId))
      .for("share");
    if (!parent || parent.revokedAt !== null) {
      throw new ParentKeyRevokedError(`API key ${input.parentKeyId} is revoked; it cannot create keys`);
    }
  }
  const key = generateApiKey();
  const [record] = await executor
    .insert(apiKeys)
    .values({
      installationId: input.installationId,
      name: input.name,
      capabilities: input.capabilities,
      createdBy: input.createdBy,
      parentKeyId: input.parentKeyId ?? null,
      keyHash: hashApiKey(key),
    })
    .returning(recordColumns);
  if (!record) throw new Error("inserting the API key returned no row");
  await recordAudit(executor, {
    installationId: input.installationId,
    actor: input.createdBy,
    action: "api_key.create",
    target: { api_key_id: record.id, name: record.name, capabilities: record.capabilities },
  });
  return { key, record };
}

/** The installation's keys (revoked ones included, marked), newest first; `installationId` undefined = all. */
export async function listApiKeys(executor: Executor, installationId?: number): Promise<ApiKeyRecord[]> {
  return executor
    .select(recordColumns)
    .from(apiKeys)
    .where(installationId === undefined ? undefined : eq(apiKeys.installationId, installationId))
    .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id));
}

export interface RevokedKeys {
  key: ApiKeyRecord;
  /** Keys it created, and the keys those created, …: revoked with it. */
  descendants: ApiKeyRecord[];
}

/**
 * Revokes a key at once (refreshes stop immediately) and, transitively, every key created from it;
 * undefined when no such unrevoked key exists in scope. Run it in a transaction.
 *
 * Descendants are revoked generation by generation until none is left: each statement sees keys
 * committed by creations that were waiting on the row lock a previous statement took (see
 * createApiKey), so a key created while its parent is being revoked is caught too.
 */
export async function revokeApiKey(
  executor: Executor,
  input: { id: string; installationId?: number; actor: string },
): Promise<RevokedKeys | undefined> {
  const scope =
    input.installationId === undefined ? undefined : eq(apiKeys.installationId, input.installationId);
  const [record] = await executor
    .update(apiKeys)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(apiKeys.id, input.id), isNull(apiKeys.revokedAt), scope))
    .returning(recordColumns);
  if (!record) return undefined;
  await recordAudit(executor, {
    installationId: record.installationId,
    actor: input.actor,
    action: "api_key.revoke",
    target: { api_key_id: record.id, name: record.name },
  });
  const descendants: ApiKeyRecord[] = [];
  let parents = [record.id];
  while (parents.length > 0) {
    const children = await executor
      .update(apiKeys)
      .set({ revokedAt: sql`now()` })
      .where(and(inArray(apiKeys.parentKeyId, parents), isNull(apiKeys.revokedAt)))
      .returning(recordColumns);
    for (const child of children) {
      await recordAudit(executor, {
        installationId: child.installationId,
        actor: input.actor,
        action: "api_key.revoke",
        target: { api_key_id: child.id, name: child.name, because_revoked: child.parentKeyId },
      });
    }
    descendants.push(...children);
    parents = children.map((child) => child.id);
  }
  return { key: record, descendants };
}

export interface RefreshableKey {
  id: string;
  installationId: number;
  capabilities: string[];
  vcs: Vcs;
  installationExternalId: string;
}

/**
 * Finds the unrevoked key with this secret on a live installation and marks it used, in one statement.
 * Runs on the system connection: before the refresh nobody knows which installation the key belongs to.
 */
export async function useApiKey(executor: Executor, key: string): Promise<RefreshableKey | undefined> {
  const rows = await executor.execute<{
    id: string;
    installation_id: string | number;
    capabilities: string[];
    vcs: Vcs;
    external_id: string;
  }>(sql`
    with used as (
      update api_keys set last_used_at = now()
      where key_hash = ${hashApiKey(key)} and revoked_at is null
        and installation_id in (select id from installations where deleted_at is null)
      returning id, installation_id, capabilities
    )
    select used.id, used.installation_id, used.capabilities, i.vcs, i.external_id
    from used join installations i on i.id = used.installation_id`);
  const row = rows[0];
  if (!row) return undefined;
  return {
    id: row.id,
    installationId: Number(row.installation_id),
    capabilities: row.capabilities,
    vcs: row.vcs,
    installationExternalId: row.external_id,
  };
}
