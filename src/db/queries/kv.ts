// The per-installation key-value store: versioned JSON values, compare-and-swap, prefix scans, atomic commits.
import { and, eq, type SQL, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { kvEntries } from "../schema/index.ts";
import { type Page, type SortDirection, toPage } from "./cursor.ts";

export interface KvEntry {
  key: string;
  value: unknown;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** A compare-and-swap's expectation: a version, or null for "the key must not exist". */
export type ExpectedVersion = number | null;

export type CasResult = { ok: true; version: number } | { ok: false; currentVersion: number | null };

export type KvOperation =
  | { op: "set"; key: string; value: unknown }
  | { op: "delete"; key: string }
  | { op: "cas"; key: string; value: unknown; version: ExpectedVersion };

/** Thrown inside a commit's transaction when a cas fails, so that nothing of the commit persists. */
export class KvConflictError extends Error {
  override name = "KvConflictError";
  readonly index: number;
  readonly key: string;
  readonly currentVersion: number | null;
  constructor(index: number, key: string, currentVersion: number | null) {
    super(
      `operation ${index} (cas on ${JSON.stringify(key)}) expected another version; current is ${currentVersion}`,
    );
    this.index = index;
    this.key = key;
    this.currentVersion = currentVersion;
  }
}

function jsonb(value: unknown): SQL {
  return sql`${JSON.stringify(value)}::jsonb`;
}

function scope(installationId: number, key: string): SQL | undefined {
  return and(eq(kvEntries.installationId, installationId), eq(kvEntries.key, key));
}

export async function getKv(
  executor: Executor,
  installationId: number,
  key: string,
): Promise<KvEntry | undefined> {
  const [entry] = await executor
    .select({
      key: kvEntries.key,
      value: kvEntries.value,
      version: kvEntries.version,
      createdAt: kvEntries.createdAt,
      updatedAt: kvEntries.updatedAt,
    })
    .from(kvEntries)
    .where(scope(installationId, key));
  return entry;
}

/** Creates or replaces; returns the new version (1 for a new key). */
export async function setKv(
  executor: Executor,
  installationId: number,
  key: string,
  value: unknown,
): Promise<number> {
  const [row] = await executor
    .insert(kvEntries)
    .values({ installationId, key, value: jsonb(value) })
    .onConflictDoUpdate({
      target: [kvEntries.installationId, kvEntries.key],
      set: { value: sql`excluded.value`, version: sql`${kvEntries.version} + 1`, updatedAt: sql`now()` },
    })
    .returning({ version: kvEntries.version });
  if (!row) throw new Error(`setting key ${JSON.stringify(key)} returned no row`);
  return row.version;
}

export async function deleteKv(executor: Executor, installationId: number, key: string): Promise<boolean> {
  const rows = await executor
    .delete(kvEntries)
    .where(scope(installationId, key))
    .returning({ key: kvEntries.key });
  return rows.length > 0;
}

async function currentVersion(
  executor: Executor,
  installationId: number,
  key: string,
): Promise<number | null> {
  const [row] = await executor
    .select({ version: kvEntries.version })
    .from(kvEntries)
    .where(scope(installationId, key));
  return row?.version ?? null;
}

/** Writes only when the key's version is `expected` (null or 0: only when the key does not exist). */
export async function casKv(
  executor: Executor,
  installationId: number,
  key: string,
  value: unknown,
  expected: ExpectedVersion,
): Promise<CasResult> {
  if (expected === null || expected === 0) {
    const rows = await executor
      .insert(kvEntries)
      .values({ installationId, key, value: jsonb(value) })
      .onConflictDoNothing()
      .returning({ version: kvEntries.version });
    const row = rows[0];
    if (row) return { ok: true, version: row.version };
  } else {
    const rows = await executor
      .update(kvEntries)
      .set({ value: jsonb(value), version: sql`${kvEntries.version} + 1`, updatedAt: sql`now()` })
      .where(and(scope(installationId, key), eq(kvEntries.version, expected)))
      .returning({ version: kvEntries.version });
    const row = rows[0];
    if (row) return { ok: true, version: row.version };
  }
  return { ok: false, currentVersion: await currentVersion(executor, installationId, key) };
}

/** Applies every operation in order inside the caller's transaction; a failed cas throws KvConflictError. */
export async function commitKv(
  executor: Executor,
  installationId: number,
  operations: readonly KvOperation[],
): Promise<{ key: string; version: number | null }[]> {
  const results: { key: string; version: number | null }[] = [];
  for (const [index, operation] of operations.entries()) {
    switch (operation.op) {
      case "set":
        results.push({
          key: operation.key,
          version: await setKv(executor, installationId, operation.key, operation.value),
        });
        break;
      case "delete":
        await deleteKv(executor, installationId, operation.key);
        results.push({ key: operation.key, version: null });
        break;
      case "cas": {
        const result = await casKv(
          executor,
          installationId,
          operation.key,
          operation.value,
          operation.version,
        );
        if (!result.ok) throw new KvConflictError(index, operation.key, result.currentVersion);
        results.push({ key: operation.key, version: result.version });
        break;
      }
      default: {
        const unreachable: never = operation;
        throw new Error(`unknown kv operation ${JSON.stringify(unreachable)}`);
      }
    }
  }
  return results;
}

/**
 * The smallest string greater than every string starting with `prefix` (code point order, which is
 * also UTF-8 byte order), or undefined when there is none.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const codePoints = [...prefix].map((char) => char.codePointAt(0)!);
  while (codePoints.length > 0) {
    let last = codePoints.pop()! + 1;
    if (last === 0xd800) last = 0xe000; // skip the surrogate range
    if (last <= 0x10ffff) return String.fromCodePoint(...codePoints, last);
  }
  return undefined;
}

/**
 * Keys starting with `prefix`, as a byte-wise range on the (installation_id, key text_pattern_ops)
 * index. Only leakproof operators are used, so that under row-level security PostgreSQL may still
 * use them as index conditions (a LIKE would be applied only after every row was fetched).
 */
function prefixCondition(prefix: string): SQL {
  const upper = prefixUpperBound(prefix);
  const lowerBound = sql`${kvEntries.key} ~>=~ ${prefix}::text`;
  return upper === undefined ? lowerBound : sql`${lowerBound} and ${kvEntries.key} ~<~ ${upper}::text`;
}

export async function iterKv(
  executor: Executor,
  installationId: number,
  prefix: string,
  page: { limit: number; direction: SortDirection; after?: string },
): Promise<Page<KvEntry>> {
  const conditions: SQL[] = [eq(kvEntries.installationId, installationId), prefixCondition(prefix)];
  if (page.after !== undefined) {
    conditions.push(
      page.direction === "asc"
        ? sql`${kvEntries.key} ~>~ ${page.after}::text`
        : sql`${kvEntries.key} ~<~ ${page.after}::text`,
    );
  }
  const rows = await executor
    .select({
      key: kvEntries.key,
      value: kvEntries.value,
      version: kvEntries.version,
      createdAt: kvEntries.createdAt,
      updatedAt: kvEntries.updatedAt,
    })
    .from(kvEntries)
    .where(and(...conditions))
    .orderBy(page.direction === "asc" ? sql`${kvEntries.key} using ~<~` : sql`${kvEntries.key} using ~>~`)
    .limit(page.limit + 1);
  return toPage(rows, page.limit, (row) => [row.key]);
}

export async function countKv(executor: Executor, installationId: number, prefix: string): Promise<number> {
  const [row] = await executor
    .select({ count: sql<number>`count(*)::int` })
    .from(kvEntries)
    .where(and(eq(kvEntries.installationId, installationId), prefixCondition(prefix)));
  return row?.count ?? 0;
}
