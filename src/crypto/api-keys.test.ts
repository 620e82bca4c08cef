// Unit tests for API key generation and hashing.
import { describe, expect, it } from "vitest";
import { encodeBase62, generateApiKey, hashApiKey, isApiKey } from "./api-keys.ts";

describe("api keys", () => {
  it("generates distinct tgk_ keys of fixed length", () => {
    const keys = new Set(Array.from({ length: 200 }, () => generateApiKey()));
    expect(keys.size).toBe(200);
    for (const key of keys) {
      expect(isApiKey(key)).toBe(true);
      expect(key).toHaveLength(4 + 43);
    }
  });

  it("encodes the largest 32-byte value in 43 base62 digits and zero as padding", () => {
    expect(encodeBase62(new Uint8Array(32).fill(255), 43)).toHaveLength(43);
    expect(encodeBase62(new Uint8Array(32), 43)).toBe("0".repeat(43));
    expect(encodeBase62(Uint8Array.from([1, 0]), 3)).toBe("048");
  });

  it("hashes deterministically and rejects malformed keys", () => {
    const key = generateApiKey();
    expect(hashApiKey(key)).toBe(hashApiKey(key));
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(isApiKey(`${key}x`)).toBe(false);
    expect(isApiKey(key.replace("tgk_", "tgx_"))).toBe(false);
  });
});
