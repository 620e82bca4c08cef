// Unit tests for the KV prefix range bound.
import { describe, expect, it } from "vitest";
import { prefixUpperBound } from "./kv.ts";

describe("prefixUpperBound", () => {
  it("increments the last code point", () => {
    expect(prefixUpperBound("env/")).toBe("env0");
    expect(prefixUpperBound("a")).toBe("b");
    expect(prefixUpperBound("é")).toBe("ê");
  });

  it("skips surrogates, drops maximal code points and has no bound for an all-maximal prefix", () => {
    expect(prefixUpperBound("x\ud7ff")).toBe("x\ue000");
    expect(prefixUpperBound(`a${String.fromCodePoint(0x10ffff)}`)).toBe("b");
    expect(prefixUpperBound(String.fromCodePoint(0x10ffff))).toBeUndefined();
  });

  it("bounds every string with the prefix from above, in UTF-8 byte order", () => {
    const prefix = "team/😀";
    const upper = Buffer.from(prefixUpperBound(prefix)!, "utf8");
    for (const key of [`${prefix}`, `${prefix}zzz`, `${prefix}${String.fromCodePoint(0x10ffff)}x`]) {
      expect(Buffer.compare(Buffer.from(key, "utf8"), upper)).toBe(-1);
    }
    expect(Buffer.compare(Buffer.from("team/😁", "utf8"), upper)).toBe(0);
  });
});
