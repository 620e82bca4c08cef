// Tenant isolation: installation A's token gets nothing of installation B on any route, and RLS is a second wall.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase } from "../../src/db/client.ts";
import { maxPreparedTexts, withTenant } from "../../src/db/queries/tenant-transaction.ts";
import {
  apiKeys,
  auditLog,
  installations,
  kvEntries,
  locks,
  workManifests,
} from "../../src/db/schema/index.ts";
import { type ApiFixture, createApiFixture } from "./api-fixture.ts";

let fixture: ApiFixture;

beforeAll(async () => {
  fixture = await createApiFixture();
});
afterAll(async () => {
  await fixture?.close();
});

interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
}

/** A body the route would accept if the caller were allowed, so that only tenancy can refuse it. */
function bodyFor(method: string, path: string): unknown {
  if (method === "get" || method === "delete") return undefined;
  if (path.endsWith("/locks/unlock")) return { repo: "bravo/infra", pull_request: 7 };
  if (path.endsWith("/cas/key/{key}")) return { value: "stolen", version: 1 };
  if (path.endsWith("/key/{key}")) return { value: "stolen" };
  if (path.endsWith("/commit")) return { ops: [{ op: "delete", key: "config/owner" }] };
  if (path === "/access-tokens") return { capabilities: ["kv_read"] };
  return {};
}

describe("tenant isolation", () => {
  it("answers 403/404 without data on every route when A's token addresses B", async () => {
    const bravoKey = await fixture.apiKey(fixture.b);
    const token = await fixture.token(fixture.a);
    const doc = (await (await fixture.app.request("/api/v1/openapi.json")).json()) as OpenApiDocument;
    const values: Record<string, string> = {
      vcs: "github",
      installation: fixture.b.externalId,
      wm: fixture.b.manifestIds[0]!,
      key: "config/owner",
      prefix: "config",
      id: bravoKey.id,
      repo: fixture.b.repoFullName,
      number: "7",
    };
    const checked: string[] = [];
    for (const [template, operations] of Object.entries(doc.paths)) {
      for (const method of Object.keys(operations)) {
        if (template === "/access-token/refresh") continue; // takes an API key, not a token: tested separately
        const path = template.replace(/\{(\w+)\}/g, (_, name: string) =>
          encodeURIComponent(values[name] ?? name),
        );
        const response = await fixture.call(
          method.toUpperCase(),
          `/api/v1${path}`,
          token,
          bodyFor(method, template),
        );
        const text = await response.text();
        checked.push(`${method} ${template}`);
        expect(text, `${method} ${template}`).not.toMatch(/bravo/i);
        for (const id of fixture.b.manifestIds) expect(text, `${method} ${template}`).not.toContain(id);
        if (response.ok) expect(text, `${method} ${template}`).not.toContain(bravoKey.id);
        if (template.includes("{installation}") || template.includes("{id}")) {
          expect([403, 404], `${method} ${template} answered ${response.status}`).toContain(response.status);
        }
      }
    }
    expect(checked.length).toBeGreaterThanOrEqual(18);
    // Nothing of B changed.
    const db = fixture.database.client.db;
    const bravoKv = await db
      .select()
      .from(kvEntries)
      .where(sql`${kvEntries.installationId} = ${fixture.b.id}`);
    expect(bravoKv.map((entry) => [entry.key, entry.value])).toEqual([["config/owner", { login: "bravo" }]]);
    const bravoLocks = await db.select().from(locks).where(sql`${locks.installationId} = ${fixture.b.id}`);
    expect(bravoLocks).toHaveLength(1);
    const [bravoApiKey] = await db.select().from(apiKeys).where(sql`${apiKeys.id} = ${bravoKey.id}`);
    expect(bravoApiKey!.revokedAt).toBeNull();
  });

  it("lists only the token's own installation, and none for the other VCS", async () => {
    const token = await fixture.token(fixture.a, ["installation_read"]);
    const github = (await (await fixture.call("GET", "/api/v1/github/installations", token)).json()) as {
      items: { id: string; account: string }[];
    };
    expect(github.items).toEqual([expect.objectContaining({ id: "1001", account: "alpha" })]);
    const gitlab = (await (await fixture.call("GET", "/api/v1/gitlab/installations", token)).json()) as {
      items: unknown[];
    };
    expect(gitlab.items).toEqual([]);
  });
});

describe("row-level security", () => {
  it("shows the app role only the current installation's rows even when a query forgets its filter", async () => {
    const { client } = fixture.database;
    const seen = await withTenant(client, fixture.a.id, async (tx) => ({
      manifests: await tx.select({ installationId: workManifests.installationId }).from(workManifests),
      installations: await tx.select({ id: installations.id }).from(installations),
      kv: await tx.select({ installationId: kvEntries.installationId }).from(kvEntries),
      locks: await tx.select({ installationId: locks.installationId }).from(locks),
    }));
    expect(seen.manifests.length).toBe(fixture.a.manifestIds.length);
    expect(new Set(seen.manifests.map((row) => row.installationId))).toEqual(new Set([fixture.a.id]));
    expect(seen.installations).toEqual([{ id: fixture.a.id }]);
    expect(seen.kv.every((row) => row.installationId === fixture.a.id)).toBe(true);
    expect(seen.locks).toEqual([{ installationId: fixture.a.id }]);
  });

  it("prepares tenant statements once per connection, and one prepared for A shows B only B's rows", async () => {
    // One connection, so both installations' transactions run the same prepared statement.
    const single = createDatabase(fixture.database.url, { max: 1 });
    try {
      const read = (installationId: number) =>
        withTenant(single, installationId, (tx) =>
          tx
            .select({ installationId: workManifests.installationId })
            .from(workManifests)
            .where(sql`${workManifests.requestedBy} <> ${"nobody"}`),
        );
      const alpha = await read(fixture.a.id);
      const bravo = await read(fixture.b.id);
      expect(alpha.length).toBe(fixture.a.manifestIds.length);
      expect(new Set(alpha.map((row) => row.installationId))).toEqual(new Set([fixture.a.id]));
      expect(bravo.length).toBe(fixture.b.manifestIds.length);
      expect(new Set(bravo.map((row) => row.installationId))).toEqual(new Set([fixture.b.id]));
      // Prepared once and reused: after that the statement is only bound and run, one round trip.
      const prepared = await single.sql.unsafe<{ statement: string }[]>(
        "select statement from pg_prepared_statements",
      );
      expect(prepared.filter((row) => row.statement.includes('from "work_manifests"'))).toHaveLength(1);
    } finally {
      await single.close();
    }
  });

  it("prepares no more than maxPreparedTexts distinct statements, however many shapes are asked for", async () => {
    const single = createDatabase(fixture.database.url, { max: 1 });
    try {
      const shapes = maxPreparedTexts + 40;
      for (let index = 0; index < shapes; index++) {
        // A text of its own each time, as every shape of a tag query is.
        const column = sql.raw(`"shape_${index}"`);
        const [row] = await withTenant(single, fixture.a.id, (tx) =>
          tx.execute<{ value: number }>(sql`select ${index}::int as ${column}`),
        );
        expect(Object.values(row!)).toEqual([index]);
      }
      const prepared = await single.sql.unsafe<{ count: number }[]>(
        "select count(*)::int as count from pg_prepared_statements where statement like '%shape_%'",
      );
      expect(prepared[0]!.count).toBeLessThanOrEqual(maxPreparedTexts);
      expect(prepared[0]!.count).toBeGreaterThan(0);
    } finally {
      await single.close();
    }
  });

  it("refuses the app role writes into another installation and updates of its rows", async () => {
    const { client } = fixture.database;
    await expect(
      withTenant(client, fixture.a.id, (tx) =>
        tx.insert(kvEntries).values({ installationId: fixture.b.id, key: "planted", value: 1 }),
      ),
    ).rejects.toThrow();
    const updated = await withTenant(client, fixture.a.id, (tx) =>
      tx
        .update(kvEntries)
        .set({ value: "overwritten" })
        .where(sql`${kvEntries.installationId} = ${fixture.b.id}`)
        .returning(),
    );
    expect(updated).toEqual([]);
    const deleted = await withTenant(client, fixture.a.id, (tx) =>
      tx.delete(locks).where(sql`true`).returning({ installationId: locks.installationId }),
    );
    expect(deleted.every((row) => row.installationId === fixture.a.id)).toBe(true);
    const bravoLocks = await client.db
      .select()
      .from(locks)
      .where(sql`${locks.installationId} = ${fixture.b.id}`);
    expect(bravoLocks).toHaveLength(1);
  });

  it("shows the app role nothing when no installation is set, and keeps full access for system sessions", async () => {
    const { client } = fixture.database;
    const none = await client.db.transaction(async (tx) => {
      await tx.execute(sql`select set_config('role', 'terragate_app', true)`);
      return tx.select().from(workManifests);
    });
    expect(none).toEqual([]);
    const all = await client.db.select({ id: workManifests.id }).from(workManifests);
    expect(all.length).toBe(fixture.a.manifestIds.length + fixture.b.manifestIds.length);
    const audit = await client.db.select().from(auditLog);
    expect(Array.isArray(audit)).toBe(true);
  });

  it("keeps full access for a non-superuser system session, and scopes it when it sets the installation", async () => {
    const { client } = fixture.database;
    const [row] = await client.sql<{ forced: boolean; enabled: boolean }[]>`
      select relforcerowsecurity as forced, relrowsecurity as enabled from pg_class where relname = 'work_manifests'`;
    expect(row).toEqual({ forced: true, enabled: true });
    // A role that is subject to RLS but is not terragate_app, as the server's own login role would be
    // on a managed PostgreSQL; created inside a transaction that is rolled back.
    const role = `terragate_system_${process.pid}_${Date.now()}`;
    const counts = await client.sql
      .begin(async (tx) => {
        await tx.unsafe(`create role "${role}" nologin`);
        await tx.unsafe(`grant select on work_manifests to "${role}"`);
        await tx.unsafe(`set local role "${role}"`);
        const [all] = await tx<{ count: number }[]>`select count(*)::int as count from work_manifests`;
        await tx`select set_config('terragate.installation_id', ${String(fixture.b.id)}, true)`;
        const [scoped] = await tx<{ count: number }[]>`select count(*)::int as count from work_manifests`;
        throw Object.assign(new Error("rollback"), { counts: [all!.count, scoped!.count] });
      })
      .catch((error: { counts?: number[] }) => error.counts);
    expect(counts).toEqual([
      fixture.a.manifestIds.length + fixture.b.manifestIds.length,
      fixture.b.manifestIds.length,
    ]);
  });
});
