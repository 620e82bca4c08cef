// The audit log: who created or revoked an API key, released a lock, applied a plan — written beside the change.
import { and, eq, type SQL, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { auditLog } from "../schema/index.ts";
import { type Page, type SortDirection, toPage } from "./cursor.ts";
import { keysetAfter, keysetOrder } from "./keyset.ts";

export const auditActions = [
  "api_key.create",
  "api_key.revoke",
  "lock.unlock",
  "apply",
  "repos.refresh",
  "dashboard.plan",
  "dashboard.apply",
  "dashboard.unlock",
  "dashboard.outcome",
] as const;
export type AuditAction = (typeof auditActions)[number];

export interface AuditEntry {
  installationId: number;
  /** `api-key:<id>`, `cli:<user>`, `github:<login>`… */
  actor: string;
  action: AuditAction;
  target: Record<string, unknown>;
}

/** Appends one entry; call it inside the transaction that makes the change, so both commit or neither. */
export async function recordAudit(executor: Executor, entry: AuditEntry): Promise<void> {
  await executor.insert(auditLog).values(entry);
}

export interface AuditRow {
  id: number;
  actor: string;
  action: string;
  target: unknown;
  createdAt: Date;
  cursorTime: string;
}

export async function listAudit(
  executor: Executor,
  installationId: number,
  options: {
    limit: number;
    direction: SortDirection;
    after?: readonly (string | number)[];
    action?: string;
    actor?: string;
  },
): Promise<Page<AuditRow>> {
  const conditions: SQL[] = [eq(auditLog.installationId, installationId)];
  if (options.action) conditions.push(eq(auditLog.action, options.action));
  if (options.actor) conditions.push(eq(auditLog.actor, options.actor));
  if (options.after) {
    conditions.push(
      keysetAfter(
        [auditLog.createdAt, auditLog.id],
        [sql`${options.after[0]}::timestamptz`, sql`${options.after[1]}::bigint`],
        options.direction,
      ),
    );
  }
  const rows = await executor
    .select({
      id: auditLog.id,
      actor: auditLog.actor,
      action: auditLog.action,
      target: auditLog.target,
      createdAt: auditLog.createdAt,
      cursorTime: sql<string>`${auditLog.createdAt}::text`,
    })
    .from(auditLog)
    .where(and(...conditions))
    .orderBy(...keysetOrder([auditLog.createdAt, auditLog.id], options.direction))
    .limit(options.limit + 1);
  return toPage(rows, options.limit, (row) => [row.cursorTime, row.id]);
}
