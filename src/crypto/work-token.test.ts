import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  createWorkToken,
  hashWorkToken,
  issueManifestToken,
  isWorkToken,
  verifyManifestToken,
  WorkTokenError,
} from "./work-token.ts";

const key = randomBytes(32);
const claims = {
  manifestId: "6f1c2b9e-1111-4a2b-8c3d-000000000001",
  repositoryId: 12,
  installationId: 3,
  operations: ["plans:write" as const, "results:write" as const],
};

describe("work tokens", () => {
  it("are random, prefixed, and stored only as their SHA-256", () => {
    const a = createWorkToken();
    const b = createWorkToken();
    expect(a.token).not.toBe(b.token);
    expect(isWorkToken(a.token)).toBe(true);
    expect(a.hash).toBe(hashWorkToken(a.token));
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.hash).not.toContain(a.token.slice(4));
  });
});

describe("manifest tokens", () => {
  it("carry the manifest, repository and allowed operations", async () => {
    const { token } = await issueManifestToken(key, claims, 600);
    expect(await verifyManifestToken(key, token)).toEqual(claims);
  });

  it("are refused once expired", async () => {
    const { token } = await issueManifestToken(key, claims, 60, new Date(Date.now() - 3600_000));
    await expect(verifyManifestToken(key, token)).rejects.toThrow(/has expired/);
  });

  it("are refused under another server's key or when altered", async () => {
    const { token } = await issueManifestToken(key, claims, 600);
    await expect(verifyManifestToken(randomBytes(32), token)).rejects.toBeInstanceOf(WorkTokenError);
    const [header, payload, signature] = token.split(".") as [string, string, string];
    const forged = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    forged.sub = "6f1c2b9e-1111-4a2b-8c3d-000000000002";
    const altered = `${header}.${Buffer.from(JSON.stringify(forged)).toString("base64url")}.${signature}`;
    await expect(verifyManifestToken(key, altered)).rejects.toThrow(/not valid/);
  });
});
