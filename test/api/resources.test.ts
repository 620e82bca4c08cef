// Tooling API reads: filters, tag queries, full outputs, unlock with audit, and pagination under concurrent inserts.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workManifests } from "../../src/db/schema/index.ts";
import {
  type ApiFixture,
  createApiFixture,
  type SeededInstallation,
  seedInstallation,
} from "./api-fixture.ts";

let fixture: ApiFixture;
let token: string;

beforeAll(async () => {
  fixture = await createApiFixture();
  token = await fixture.token(fixture.a);
});
afterAll(async () => {
  await fixture?.close();
});

async function get<T>(path: string): Promise<T> {
  const response = await fixture.call("GET", `/api/v1/github/installations/1001${path}`, token);
  expect(response.status, `${path}: ${response.status}`).toBe(200);
  return (await response.json()) as T;
}

interface ManifestPage {
  items: { id: string; kind: string; pull_request: number | null; created_at: string; repo: string }[];
  next_page: string | null;
}

describe("work manifests", () => {
  it("lists newest first with ISO-8601 UTC timestamps and filters by kind, PR and repo", async () => {
    const all = await get<ManifestPage>("/work-manifests");
    expect(all.items.map((item) => item.id)).toEqual([...fixture.a.manifestIds].reverse());
    expect(all.items[0]!.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const plans = await get<ManifestPage>("/work-manifests?kind=plan");
    expect(plans.items.every((item) => item.kind === "plan")).toBe(true);
    expect(plans.items).toHaveLength(2);
    expect((await get<ManifestPage>("/work-manifests?pr=7&repo=ALPHA/infra")).items).toHaveLength(3);
    expect((await get<ManifestPage>("/work-manifests?pr=8")).items).toHaveLength(0);
    expect((await get<ManifestPage>("/work-manifests?repo=other/infra")).items).toHaveLength(0);
    const ascending = await get<ManifestPage>("/work-manifests?d=asc&limit=2");
    expect(ascending.items.map((item) => item.id)).toEqual(fixture.a.manifestIds.slice(0, 2));
  });

  it("filters by a tag query over dirspace tags, dir and workspace", async () => {
    const { client } = fixture.database;
    await client.sql`update work_manifest_dirspaces set tags = '{nonprod}'
      where work_manifest_id = ${fixture.a.manifestIds[1]!} and dir = 'infra/prod'`;
    const prod = await get<ManifestPage>(`/work-manifests?q=${encodeURIComponent("prod and aws")}`);
    expect(prod.items.map((item) => item.id).sort()).toEqual(
      [fixture.a.manifestIds[0]!, fixture.a.manifestIds[2]!].sort(),
    );
    const byDir = await get<ManifestPage>(
      `/work-manifests?q=${encodeURIComponent("dir:infra/prod and nonprod")}`,
    );
    expect(byDir.items.map((item) => item.id)).toEqual([fixture.a.manifestIds[1]]);
    const inDir = await get<ManifestPage>(`/work-manifests?q=${encodeURIComponent("staging in dir")}`);
    expect(inDir.items).toHaveLength(3);
    const none = await get<ManifestPage>(`/work-manifests?q=${encodeURIComponent("not workspace:default")}`);
    expect(none.items).toHaveLength(0);
    const dirspaces = await get<{ items: { dir: string; tags: string[] }[] }>(
      `/dirspaces?q=${encodeURIComponent("prod or nonprod")}`,
    );
    expect(dirspaces.items.map((item) => item.dir)).toEqual(["infra/prod", "infra/prod", "infra/prod"]);
    const bad = await fixture.call("GET", "/api/v1/github/installations/1001/work-manifests?q=(prod", token);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      error: { code: "invalid_tag_query", details: { column: expect.any(Number) } },
    });
  });

  it("returns one manifest with its dirspaces, and its full untruncated outputs", async () => {
    const id = fixture.a.manifestIds[0]!;
    const manifest = await get<{ id: string; dirspaces: { dir: string; summary: unknown }[] }>(
      `/work-manifests/${id}`,
    );
    expect(manifest.id).toBe(id);
    expect(manifest.dirspaces.map((dirspace) => dirspace.dir)).toEqual(["infra/prod", "infra/staging"]);
    expect(manifest.dirspaces[0]!.summary).toEqual({ add: 1, change: 0, destroy: 0, import: 0 });
    const outputs = await get<{ items: { dir: string; steps: { output: string }[]; outputs: unknown }[] }>(
      `/work-manifests/${id}/outputs`,
    );
    const prod = outputs.items.find((item) => item.dir === "infra/prod")!;
    expect(prod.steps[0]!.output.length).toBeGreaterThan(70_000);
    expect(prod.outputs).toEqual({ url: "alpha.example" });
    const missing = await fixture.call(
      "GET",
      "/api/v1/github/installations/1001/work-manifests/00000000-0000-4000-8000-000000000000",
      token,
    );
    expect(missing.status).toBe(404);
  });

  it("lists repos and pull requests with filters", async () => {
    const repos = await get<{ items: { full_name: string }[] }>("/repos");
    expect(repos.items.map((repo) => repo.full_name)).toEqual(["alpha/infra"]);
    const open = await get<{ items: { number: number; state: string }[] }>(
      "/pull-requests?state=open&repo=alpha/infra",
    );
    expect(open.items).toEqual([expect.objectContaining({ number: 7, state: "open" })]);
    expect((await get<{ items: unknown[] }>("/pull-requests?state=merged")).items).toEqual([]);
  });
});

describe("time zones", () => {
  it("writes a listing's timestamps in `tz` with its offset, the same instants as in UTC", async () => {
    const utc = await get<ManifestPage>("/work-manifests");
    const paris = await get<ManifestPage>("/work-manifests?tz=Europe/Paris");
    expect(paris.items[0]!.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0[12]:00$/);
    expect(paris.items.map((item) => Date.parse(item.created_at))).toEqual(
      utc.items.map((item) => Date.parse(item.created_at)),
    );
    const repos = await get<{ items: { created_at: string }[] }>("/repos?tz=Asia/Kolkata");
    expect(repos.items[0]!.created_at).toMatch(/\+05:30$/);
  });

  it("refuses a zone that does not exist, naming the parameter", async () => {
    const response = await fixture.call(
      "GET",
      "/api/v1/github/installations/1001/work-manifests?tz=Mars/Olympus",
      token,
    );
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain("tz");
  });
});

describe("locks", () => {
  it("lists locks and releases them with an audit entry", async () => {
    const listed = await get<{ items: { dir: string; pull_request: number }[] }>("/locks");
    expect(listed.items).toEqual([expect.objectContaining({ dir: "infra/prod", pull_request: 7 })]);
    expect((await get<{ items: unknown[] }>("/locks?q=dir:infra/prod")).items).toHaveLength(1);
    expect((await get<{ items: unknown[] }>("/locks?q=workspace:staging")).items).toEqual([]);
    expect((await fixture.call("GET", "/api/v1/github/installations/1001/locks?q=(", token)).status).toBe(
      400,
    );
    const missingTarget = await fixture.call(
      "POST",
      "/api/v1/github/installations/1001/locks/unlock",
      token,
      {
        repo: "alpha/infra",
      },
    );
    expect(missingTarget.status).toBe(400);
    const released = await fixture.call("POST", "/api/v1/github/installations/1001/locks/unlock", token, {
      repo: "alpha/infra",
      pull_request: 7,
    });
    expect(released.status).toBe(200);
    expect(await released.json()).toMatchObject({ repo: "alpha/infra", released: [{ dir: "infra/prod" }] });
    expect((await get<{ items: unknown[] }>("/locks")).items).toEqual([]);
    const audit = await get<{ items: { action: string; actor: string; target: { dirspaces: unknown[] } }[] }>(
      "/audit?action=lock.unlock",
    );
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]!.actor).toMatch(/^api-key:/);
    expect(audit.items[0]!.target.dirspaces).toEqual([{ dir: "infra/prod", workspace: "default" }]);
    // Every key of this installation was audited at creation, and no other installation's key shows.
    const keyAudit = await get<{ items: { action: string; target: { api_key_id: string } }[] }>(
      "/audit?action=api_key.create",
    );
    const keys = await fixture.database.client.sql<{ id: string }[]>`
      select id::text from api_keys where installation_id = ${fixture.a.id}`;
    expect(keys.length).toBeGreaterThan(0);
    expect(keyAudit.items.map((item) => item.action)).toEqual(keys.map(() => "api_key.create"));
    expect(keyAudit.items.map((item) => item.target.api_key_id).sort()).toEqual(
      keys.map((key) => key.id).sort(),
    );
  });
});

describe("pagination", () => {
  async function insertManifests(installation: SeededInstallation, count: number): Promise<string[]> {
    const rows = await fixture.database.client.db
      .insert(workManifests)
      .values(
        Array.from({ length: count }, () => ({
          installationId: installation.id,
          repositoryId: installation.repoId,
          vcs: installation.vcs,
          kind: "plan" as const,
          baseRef: "main",
          baseSha: "a",
          headRef: "f",
          headSha: "b",
          requestedBy: "x",
        })),
      )
      .returning({ id: workManifests.id });
    return rows.map((row) => row.id);
  }

  for (const direction of ["desc", "asc"] as const) {
    it(`returns every row exactly once (${direction}) while rows are being inserted`, async () => {
      const charlie = await seedInstallation(fixture.database, {
        vcs: "gitlab",
        externalId: `30${direction === "asc" ? 1 : 2}`,
        login: `charlie${direction}`,
        manifests: 0,
      });
      // Batches share one created_at (same statement), so ties must be broken by id.
      const existing = [
        ...(await insertManifests(charlie, 40)),
        ...(await insertManifests(charlie, 40)),
        ...(await insertManifests(charlie, 17)),
      ];
      const charlieToken = await fixture.token(charlie, ["installation_read"]);
      let inserting = true;
      const inserted: string[] = [];
      const writer = (async () => {
        while (inserting) {
          inserted.push(...(await insertManifests(charlie, 3)));
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
      })();
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = `limit=7&d=${direction}${cursor ? `&next_page=${encodeURIComponent(cursor)}` : ""}`;
        const response = await fixture.call(
          "GET",
          `/api/v1/gitlab/installations/${charlie.externalId}/work-manifests?${query}`,
          charlieToken,
        );
        expect(response.status).toBe(200);
        const page = (await response.json()) as ManifestPage;
        seen.push(...page.items.map((item) => item.id));
        cursor = page.next_page;
        pages++;
        // Ascending pages follow the writer; stop it after a while so the listing can reach the end.
        if (pages === 20) inserting = false;
      } while (cursor !== null);
      inserting = false;
      await writer;
      expect(new Set(seen).size).toBe(seen.length);
      for (const id of existing) expect(seen).toContain(id);
      expect(inserted.length).toBeGreaterThan(0);
      const known = new Set([...existing, ...inserted]);
      expect(seen.every((id) => known.has(id))).toBe(true);
    });
  }

  it("refuses a cursor it did not make", async () => {
    const response = await fixture.call(
      "GET",
      "/api/v1/github/installations/1001/work-manifests?next_page=abc",
      token,
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: "invalid_cursor" } });
  });

  it("walks a listing in pages with stable cursors", async () => {
    const where = sql`${workManifests.installationId} = ${fixture.a.id}`;
    const total = (await fixture.database.client.db.select().from(workManifests).where(where)).length;
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page: ManifestPage = await get<ManifestPage>(
        `/work-manifests?limit=1${cursor ? `&next_page=${encodeURIComponent(cursor)}` : ""}`,
      );
      ids.push(...page.items.map((item) => item.id));
      cursor = page.next_page;
    } while (cursor);
    expect(ids).toHaveLength(total);
  });
});
