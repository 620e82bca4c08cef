import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SealError, seal, unseal } from "./seal.ts";

describe("seal", () => {
  const key = randomBytes(32);

  it("round-trips and never stores the plaintext", () => {
    const plaintext = Buffer.from("terraform plan bytes");
    const sealed = seal(key, plaintext, "wm-1");
    expect(sealed.includes(plaintext)).toBe(false);
    expect(unseal(key, sealed, "wm-1").toString()).toBe("terraform plan bytes");
  });

  it("refuses another key, another context and altered bytes", () => {
    const sealed = seal(key, Buffer.from("secret"), "wm-1");
    expect(() => unseal(randomBytes(32), sealed, "wm-1")).toThrow(SealError);
    expect(() => unseal(key, sealed, "wm-2")).toThrow(SealError);
    const altered = Buffer.from(sealed);
    altered[altered.length - 20] = (altered[altered.length - 20] ?? 0) ^ 1;
    expect(() => unseal(key, altered, "wm-1")).toThrow(SealError);
  });

  it("rejects a key of the wrong size", () => {
    expect(() => seal(randomBytes(16), Buffer.from("x"))).toThrow(/32 bytes/);
  });
});
