// Tooling API authentication: API key → access token → call, expiry, revocation, capabilities, limits.

import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createSigningKeyStore } from "../../src/api/auth/signing-key-store.ts";
import { createSigningKey, signAccessToken } from "../../src/crypto/jwt.ts";
import { apiKeys } from "../../src/db/schema/index.ts";
import { type ApiFixture, createApiFixture } from "./api-fixture.ts";

let fixture: ApiFixture;
const claims = {
  keyId: "00000000-0000-4000-8000-000000000000",
  installationId: 0,
  vcs: "github" as const,
  installationExternalId: "1001",
  capabilities: ["installation_read" as const],
};

beforeAll(async () => {
  fixture = await createApiFixture();
  claims.installationId = fixture.a.id;
});
afterAll(async () => {
  await fixture?.close();
});

describe("access tokens", () => {
  it("trades an API key for a 60-second token that reads the installation, over real HTTP", async () => {
    const server = serve({ fetch: fixture.app.fetch, port: 0, hostname: "127.0.0.1" });
    await new Promise((resolve) => server.once("listening", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const { key } = await fixture.apiKey(fixture.a, ["installation_read"]);
      const refreshed = await fetch(`${base}/api/v1/access-token/refresh`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}` },
      });
      expect(refreshed.status).toBe(200);
      const body = (await refreshed.json()) as { access_token: string; expires_in: number };
      expect(body.expires_in).toBe(60);
      const header = JSON.parse(Buffer.from(body.access_token.split(".")[0]!, "base64url").toString());
      expect(header.kid).toEqual(expect.any(String));
      const repos = await fetch(`${base}/api/v1/github/installations/1001/repos`, {
        headers: { authorization: `Bearer ${body.access_token}` },
      });
      expect(repos.status).toBe(200);
      const page = (await repos.json()) as { items: { full_name: string }[]; next_page: string | null };
      expect(page.items.map((repo) => repo.full_name)).toEqual(["alpha/infra"]);
      expect(page.next_page).toBeNull();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("records the key's last use on refresh", async () => {
    const { id, key } = await fixture.apiKey(fixture.a, ["kv_read"]);
    const before = await fixture.database.client.db.select().from(apiKeys).where(eq(apiKeys.id, id));
    expect(before[0]!.lastUsedAt).toBeNull();
    await fixture.call("POST", "/api/v1/access-token/refresh", key);
    const after = await fixture.database.client.db.select().from(apiKeys).where(eq(apiKeys.id, id));
    expect(after[0]!.lastUsedAt).toBeInstanceOf(Date);
  });

  it("refuses an unknown key and a malformed one with the JSON error shape", async () => {
    for (const key of ["tgk_" + "0".repeat(43), "not-a-key"]) {
      const response = await fixture.call("POST", "/api/v1/access-token/refresh", key);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({
        error: { code: "unauthorized", message: expect.any(String) },
      });
    }
  });

  it("refuses a revoked key's refresh at once", async () => {
    const admin = await fixture.token(fixture.a, ["access_token_create", "kv_read"]);
    const created = await fixture.call("POST", "/api/v1/access-tokens", admin, {
      name: "ci",
      capabilities: ["kv_read"],
    });
    expect(created.status).toBe(201);
    const { id, key } = (await created.json()) as { id: string; key: string };
    expect((await fixture.call("POST", "/api/v1/access-token/refresh", key)).status).toBe(200);
    const revoked = await fixture.call("DELETE", `/api/v1/access-tokens/${id}`, admin);
    expect(revoked.status).toBe(200);
    expect(((await revoked.json()) as { revoked_at: string | null }).revoked_at).not.toBeNull();
    expect((await fixture.call("POST", "/api/v1/access-token/refresh", key)).status).toBe(401);
  });

  it("answers 401 token_expired for an expired token and 401 for a forged one", async () => {
    // A second key ring on the same database and encryption key: what another replica would hold.
    const store = createSigningKeyStore({
      database: fixture.database.client,
      encryptionKey: fixture.encryptionKey,
    });
    const path = "/api/v1/github/installations/1001/repos";
    const expired = await signAccessToken(await store.signingKey(), claims, {
      now: new Date(Date.now() - 120_000),
    });
    const response = await fixture.call("GET", path, expired);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: "token_expired" } });
    expect(
      (await fixture.call("GET", path, await signAccessToken(await store.signingKey(), claims))).status,
    ).toBe(200);
    const forged = await signAccessToken(createSigningKey(), claims);
    expect((await fixture.call("GET", path, forged)).status).toBe(401);
    expect((await fixture.call("GET", path, "garbage")).status).toBe(401);
  });

  it("stops accepting a token that was accepted before once its minute is over", async () => {
    const token = await fixture.token(fixture.a, ["installation_read"]);
    const path = "/api/v1/github/installations/1001/repos";
    expect((await fixture.call("GET", path, token)).status).toBe(200);
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + 61_000);
      const response = await fixture.call("GET", path, token);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: { code: "token_expired" } });
    } finally {
      vi.useRealTimers();
    }
  });

  it("accepts tokens of the previous and the new signing key after a rotation elsewhere", async () => {
    const path = "/api/v1/github/installations/1001/repos";
    const oldToken = await fixture.token(fixture.a, ["installation_read"]);
    const replica = createSigningKeyStore({
      database: fixture.database.client,
      encryptionKey: fixture.encryptionKey,
    });
    const before = await replica.signingKey();
    const rotated = await replica.rotate();
    expect(rotated.kid).not.toBe(before.kid);
    expect((await replica.signingKey()).kid).toBe(rotated.kid);
    const newToken = await signAccessToken(rotated, claims);
    // The app re-reads its ring on an unknown key id at most once a second.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await fixture.call("GET", path, newToken)).status).toBe(200);
    expect((await fixture.call("GET", path, oldToken)).status).toBe(200);
  });
});

describe("capabilities and limits", () => {
  it("answers 403 when the token lacks the route's capability", async () => {
    const token = await fixture.token(fixture.a, ["kv_read"]);
    const response = await fixture.call("GET", "/api/v1/github/installations/1001/repos", token);
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({
      error: { code: "forbidden", details: { required: "installation_read" } },
    });
    expect((await fixture.call("PUT", "/api/v1/github/kv/1001/key/x", token, { value: 1 })).status).toBe(403);
    expect(
      (
        await fixture.call("POST", "/api/v1/github/installations/1001/locks/unlock", token, {
          repo: "alpha/infra",
          pull_request: 7,
        })
      ).status,
    ).toBe(403);
    expect((await fixture.call("GET", "/api/v1/github/installations/1001/audit", token)).status).toBe(403);
    expect((await fixture.call("GET", "/api/v1/access-tokens", token)).status).toBe(403);
  });

  it("never lets a key grant a capability it does not hold", async () => {
    const token = await fixture.token(fixture.a, ["access_token_create", "kv_read"]);
    const refused = await fixture.call("POST", "/api/v1/access-tokens", token, {
      capabilities: ["kv_read", "kv_write"],
    });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { details: { not_held: ["kv_write"] } } });
    const allowed = await fixture.call("POST", "/api/v1/access-tokens", token, {
      name: "r",
      capabilities: ["kv_read"],
    });
    expect(allowed.status).toBe(201);
    const listed = (await (await fixture.call("GET", "/api/v1/access-tokens", token)).json()) as {
      items: { name: string; capabilities: string[] }[];
    };
    expect(listed.items.some((item) => item.name === "r" && item.capabilities.join() === "kv_read")).toBe(
      true,
    );
    expect(JSON.stringify(listed)).not.toContain("tgk_");
  });

  it("reports validation problems with their paths", async () => {
    const token = await fixture.token(fixture.a);
    const response = await fixture.call(
      "GET",
      "/api/v1/github/installations/1001/work-manifests?limit=500&kind=destroy",
      token,
    );
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; details: { path: string }[] } };
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.details.map((detail) => detail.path).sort()).toEqual(["kind", "limit"]);
    const badJson = await fixture.app.request("/api/v1/github/kv/1001/key/k", {
      method: "PUT",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ error: { code: "bad_request" } });
  });

  it("refuses bodies over the size limit with 413", async () => {
    const token = await fixture.token(fixture.a);
    const response = await fixture.call("PUT", "/api/v1/github/kv/1001/key/big", token, {
      value: "x".repeat(2 * 1024 * 1024),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: { code: "payload_too_large" } });
  });

  it("rate-limits each key with 429 and Retry-After", async () => {
    const limited = await createApiFixture({ rateLimit: 2 });
    try {
      const token = await limited.token(limited.a, ["kv_read"]);
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let index = 0; index < 8; index++) {
        const response = await limited.call("GET", "/api/v1/github/kv/1001/count/config", token);
        statuses.push(response.status);
        if (response.status === 429) retryAfter = response.headers.get("retry-after");
      }
      expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
      expect(statuses).toContain(429);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      // Another key has its own bucket.
      const other = await limited.token(limited.a, ["kv_read"]);
      expect((await limited.call("GET", "/api/v1/github/kv/1001/count/config", other)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
