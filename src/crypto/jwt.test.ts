// Unit tests for access-token signing, expiry and key rotation.
import { describe, expect, it } from "vitest";
import { type AccessTokenClaims, createSigningKey, signAccessToken, verifyAccessToken } from "./jwt.ts";

const claims: AccessTokenClaims = {
  keyId: "9a0f7f0e-2c7a-4c55-9a55-3f1a5e1a2b3c",
  installationId: 7,
  vcs: "github",
  installationExternalId: "12345",
  capabilities: ["kv_read", "installation_read"],
};

describe("access tokens", () => {
  it("round-trips the claims and names its key in the header", async () => {
    const key = createSigningKey();
    const token = await signAccessToken(key, claims);
    const header = JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString("utf8"));
    expect(header).toMatchObject({ alg: "HS256", kid: key.kid });
    const verified = await verifyAccessToken(token, async (kid) => (kid === key.kid ? key : undefined));
    expect(verified).toEqual(claims);
  });

  it("accepts tokens from an older key still in rotation and refuses a retired one", async () => {
    const oldKey = createSigningKey();
    const newKey = createSigningKey();
    const token = await signAccessToken(oldKey, claims);
    const ring = new Map([
      [oldKey.kid, oldKey],
      [newKey.kid, newKey],
    ]);
    await expect(verifyAccessToken(token, async (kid) => ring.get(kid))).resolves.toEqual(claims);
    ring.delete(oldKey.kid);
    await expect(verifyAccessToken(token, async (kid) => ring.get(kid))).rejects.toMatchObject({
      problem: "unknown_key",
    });
  });

  it("expires after 60 seconds", async () => {
    const key = createSigningKey();
    const issued = new Date("2026-01-01T00:00:00Z");
    const token = await signAccessToken(key, claims, { now: issued });
    const resolve = async () => key;
    await expect(
      verifyAccessToken(token, resolve, { now: new Date(issued.getTime() + 59_000) }),
    ).resolves.toEqual(claims);
    await expect(
      verifyAccessToken(token, resolve, { now: new Date(issued.getTime() + 61_000) }),
    ).rejects.toMatchObject({ problem: "expired" });
  });

  it("refuses a token signed with another secret under the same key id", async () => {
    const key = createSigningKey();
    const forged = await signAccessToken({ ...createSigningKey(), kid: key.kid }, claims);
    await expect(verifyAccessToken(forged, async () => key)).rejects.toMatchObject({ problem: "invalid" });
  });
});
