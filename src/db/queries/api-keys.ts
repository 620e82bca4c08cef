// API key records: create (with an audit entry), list, revoke, and the lookup behind a token refresh.
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { Capability } from "../../api/auth/capabilities.ts";
import { generateApiKey, hashApiKey } from "../../crypto/api-keys.ts";
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
};

/** Creates a key and its audit entry; the returned `key` is the only time the secret exists in clear. */
export async function createApiKey(
  executor: Executor,
  input: { installationId: number; name: string; capabilities: Capability[]; createdBy: string },
): Promise<{ key: string; record: ApiKeyRecord }> {
  const key = generateApiKey();
  const [record] = await executor
    .insert(apiKeys)
    .values({
      installationId: input.installationId,
      name: input.name,
      capabilities: input.capabilities,
      createdBy: input.createdBy,
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

/** Revokes a key at once (refreshes stop immediately); false when no such unrevoked key exists in scope. */
export async function revokeApiKey(
  executor: Executor,
  input: { id: string; installationId?: number; actor: string },
): Promise<ApiKeyRecord | undefined> {
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
  return record;
}

export interface RefreshableKey {
  id: string;
  installationId: number;
  capabilities: string[];
  vcs: "github" | "gitlab";
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
    vcs: "github" | "gitlab";
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
