// Dashboard reads across a person's installations (the home page); per-installation pages use tenant transactions.

import { sql } from "drizzle-orm";
import type { Vcs } from "../../vcs/types.ts";
import type { Executor } from "../client.ts";

export interface SessionInstallationRow {
  id: number;
  vcs: Vcs;
  externalId: string;
  accountLogin: string;
  accountType: string;
  suspendedAt: Date | null;
  repositories: number;
  locks: number;
}

/** The installations with these ids (the person's memberships), with repository and lock counts. */
export async function listSessionInstallations(
  executor: Executor,
  ids: readonly number[],
): Promise<SessionInstallationRow[]> {
  if (ids.length === 0) return [];
  const rows = await executor.execute<{
    id: string;
    vcs: Vcs;
    external_id: string;
    account_login: string;
    account_type: string;
    suspended_at: string | null;
    repositories: string;
    locks: string;
  }>(sql`
    select i.id, i.vcs, i.external_id, i.account_login, i.account_type, i.suspended_at,
      (select count(*) from repositories r where r.installation_id = i.id and r.removed_at is null) as repositories,
      (select count(*) from locks l where l.installation_id = i.id) as locks
    from installations i
    where i.id = any(${sql.param([...ids])}::bigint[]) and i.deleted_at is null
    order by lower(i.account_login), i.id`);
  return [...rows].map((row) => ({
    id: Number(row.id),
    vcs: row.vcs,
    externalId: row.external_id,
    accountLogin: row.account_login,
    accountType: row.account_type,
    suspendedAt: row.suspended_at === null ? null : new Date(row.suspended_at),
    repositories: Number(row.repositories),
    locks: Number(row.locks),
  }));
}
