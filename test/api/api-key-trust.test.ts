// API keys as an attacker would use them: revoked keys take their offspring along, and unlocking is granted per repository.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseCapabilities } from "../../src/api/auth/capabilities.ts";
import { revokeApiKey } from "../../src/db/queries/api-keys.ts";
import { auditLog, locks } from "../../src/db/schema/index.ts";
import { type ApiFixture, createApiFixture } from "./api-fixture.ts";

let fixture: ApiFixture;

beforeAll(async () => {
  fixture = await createApiFixture();
});
afterAll(async () => {
  await fixture?.close();
});

async function refresh(key: string): Promise<number> {
  return (await fixture.call("POST", "/api/v1/access-token/refresh", key)).status;
}

/** Creates a key through the API with `token`; returns its id and secret. */
async function createThroughApi(token: string, capabilities: string[], name: string) {
  const response = await fixture.call("POST", "/api/v1/access-tokens", token, { name, capabilities });
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as { id: string; key: string; parent_key_id: string };
}

async function tokenFor(key: string): Promise<string> {
  const response = await fixture.call("POST", "/api/v1/access-token/refresh", key);
  return ((await response.json()) as { access_token: string }).access_token;
}

describe("revoking an API key", () => {
  it("revokes the keys it created, and theirs, and nothing else", async () => {
    const root = await fixture.apiKey(fixture.a, ["access_token_create", "kv_read"]);
    const rootToken = await tokenFor(root.key);
    const child = await createThroughApi(rootToken, ["access_token_create", "kv_read"], "child");
    expect(child.parent_key_id).toBe(root.id);
    const grandchild = await createThroughApi(await tokenFor(child.key), ["kv_read"], "grandchild");
    const sibling = await fixture.apiKey(fixture.a, ["kv_read"]);
    const admin = await tokenFor((await fixture.apiKey(fixture.a, ["access_token_create"])).key);

    const response = await fixture.call("DELETE", `/api/v1/access-tokens/${root.id}`, admin);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { id: string; revoked_descendants: { id: string }[] };
    expect(body.id).toBe(root.id);
    expect(body.revoked_descendants.map((key) => key.id).sort()).toEqual([child.id, grandchild.id].sort());

    expect(await refresh(root.key)).toBe(401);
    expect(await refresh(child.key)).toBe(401);
    expect(await refresh(grandchild.key)).toBe(401);
    expect(await refresh(sibling.key)).toBe(200);
    const revocations = await fixture.database.client.db
      .select({ target: auditLog.target })
      .from(auditLog)
      .where(eq(auditLog.action, "api_key.revoke"));
    expect(revocations.map((row) => (row.target as { api_key_id: string }).api_key_id).sort()).toEqual(
      [root.id, child.id, grandchild.id].sort(),
    );
  });

  it("leaves a revoked key's still-valid access token unable to create a key that would escape", async () => {
    const doomed = await fixture.apiKey(fixture.a, ["access_token_create", "kv_read"]);
    const token = await tokenFor(doomed.key);
    await fixture.database.client.db.transaction((tx) => revokeApiKey(tx, { id: doomed.id, actor: "test" }));
    // The token verifies for up to a minute after the revocation, but it creates nothing.
    const attempt = await fixture.call("POST", "/api/v1/access-tokens", token, { capabilities: ["kv_read"] });
    expect(attempt.status).toBe(401);
    expect(await attempt.json()).toMatchObject({ error: { code: "unauthorized" } });
  });

  it("catches a key created while its parent is being revoked", async () => {
    const parent = await fixture.apiKey(fixture.a, ["access_token_create", "kv_read"]);
    const parentToken = await tokenFor(parent.key);
    const created = await Promise.all(
      Array.from({ length: 5 }, (_, index) =>
        fixture.call("POST", "/api/v1/access-tokens", parentToken, {
          name: `racer-${index}`,
          capabilities: ["kv_read"],
        }),
      ).concat([
        fixture.database.client.db
          .transaction((tx) => revokeApiKey(tx, { id: parent.id, actor: "test" }))
          .then(() => new Response(null, { status: 299 })),
      ]),
    );
    for (const response of created.filter((candidate) => candidate.status === 201)) {
      const { key } = (await response.json()) as { key: string };
      expect(await refresh(key)).toBe(401);
    }
  });
});

describe("unlocking through the API", () => {
  beforeEach(async () => {
    await fixture.database.client.db.delete(locks);
    await fixture.database.client.db.insert(locks).values({
      installationId: fixture.a.id,
      repositoryId: fixture.a.repoId,
      dir: "infra/prod",
      workspace: "default",
      pullRequestId: fixture.a.pullRequestId,
    });
  });

  const unlock = (token: string, repo: string) =>
    fixture.call("POST", "/api/v1/github/installations/1001/locks/unlock", token, { repo, pull_request: 7 });

  it("needs a grant naming the repository (or unlock:*); other grants are refused before any lookup", async () => {
    const reader = await fixture.token(fixture.a, ["installation_read"]);
    const refused = await unlock(reader, "alpha/infra");
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({
      error: { code: "forbidden", details: { required: "unlock:alpha/infra" } },
    });

    const otherRepo = await fixture.token(fixture.a, ["unlock:alpha/other"]);
    expect((await unlock(otherRepo, "alpha/infra")).status).toBe(403);
    // Not even whether a repository exists leaks to a key without the grant.
    expect((await unlock(otherRepo, "alpha/secret-project")).status).toBe(403);

    const scoped = await fixture.token(fixture.a, parseCapabilities(["unlock:Alpha/Infra"]));
    const released = await unlock(scoped, "ALPHA/infra");
    expect(released.status).toBe(200);
    expect(await released.json()).toMatchObject({ released: [{ dir: "infra/prod" }] });
  });

  it("with unlock:* releases any repository of the installation", async () => {
    const all = await fixture.token(fixture.a, ["unlock:*"]);
    expect((await unlock(all, "alpha/infra")).status).toBe(200);
    expect((await unlock(all, "alpha/unknown")).status).toBe(404);
  });

  it("refuses a bare unlock capability with what to write instead, on the CLI's parser and the API", async () => {
    expect(() => parseCapabilities(["unlock"])).toThrow(/unlock:OWNER\/REPO .*unlock:\*/);
    const creator = await fixture.token(fixture.a, ["access_token_create", "unlock:*"]);
    const response = await fixture.call("POST", "/api/v1/access-tokens", creator, {
      capabilities: ["unlock"],
    });
    expect(response.status).toBe(400);
  });

  it("hands out unlock grants only within what the creating key holds", async () => {
    const scoped = await fixture.token(fixture.a, ["access_token_create", "unlock:alpha/infra"]);
    for (const grant of ["unlock:*", "unlock:alpha/other"]) {
      const refused = await fixture.call("POST", "/api/v1/access-tokens", scoped, { capabilities: [grant] });
      expect(refused.status, grant).toBe(403);
    }
    const same = await fixture.call("POST", "/api/v1/access-tokens", scoped, {
      capabilities: ["unlock:alpha/infra"],
    });
    expect(same.status).toBe(201);
    const wide = await fixture.token(fixture.a, ["access_token_create", "unlock:*"]);
    const narrowed = await fixture.call("POST", "/api/v1/access-tokens", wide, {
      capabilities: ["unlock:alpha/infra"],
    });
    expect(narrowed.status).toBe(201);
  });
});
