import { describe, expect, it } from "vitest";
import { createSigningKey, type SigningKey } from "../../crypto/jwt.ts";
import { createSessionVerifier, type SessionClaims, signSessionToken } from "./session-token.ts";

const claims: SessionClaims = {
  sessionId: "00000000-0000-4000-8000-000000000001",
  vcs: "github",
  login: "alice",
  userExternalId: "1",
  memberships: [{ installationId: 7, admin: true }],
  serverAdmin: false,
};

function ring(...keys: SigningKey[]) {
  const held = new Map(keys.map((key) => [key.kid, key]));
  return {
    resolve: async (kid: string) => held.get(kid),
    retire: (kid: string) => held.delete(kid),
    replace: (key: SigningKey) => held.set(key.kid, key),
  };
}

describe("createSessionVerifier", () => {
  it("accepts a valid token, and refuses one signed by another key or tampered with", async () => {
    const key = createSigningKey();
    const keys = ring(key);
    const verify = createSessionVerifier(keys.resolve);
    const token = await signSessionToken(key, claims);
    expect(await verify(token)).toEqual(claims);
    const forged = await signSessionToken({ ...createSigningKey(), kid: key.kid }, claims);
    await expect(verify(forged)).rejects.toThrow(/not valid/);
    const [header, payload] = token.split(".");
    await expect(verify(`${header}.${payload}.${"A".repeat(43)}`)).rejects.toThrow(/not valid/);
  });

  it("does not verify a remembered token again, but refuses it once expired or once its key has left the ring", async () => {
    const key = createSigningKey();
    const keys = ring(key);
    let now = Date.now();
    const verify = createSessionVerifier(keys.resolve, () => now);
    const token = await signSessionToken(key, claims, 300);
    await verify(token);
    // The key's secret replaced under the same id: a full verification would now fail.
    keys.replace({ ...createSigningKey(), kid: key.kid });
    expect(await verify(token)).toEqual(claims);
    keys.replace(key);
    now += 299_000;
    expect(await verify(token)).toEqual(claims);
    now += 2_000;
    await expect(verify(token)).rejects.toMatchObject({ expired: true });

    const other = createSigningKey();
    keys.replace(other);
    const fresh = await signSessionToken(other, claims, 300);
    const later = createSessionVerifier(keys.resolve);
    await later(fresh);
    keys.retire(other.kid);
    await expect(later(fresh)).rejects.toThrow(/unknown key/);
  });
});
