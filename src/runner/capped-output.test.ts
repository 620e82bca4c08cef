import { describe, expect, it } from "vitest";
import { CappedOutput, createLineSplitter } from "./capped-output.ts";

describe("capped step output", () => {
  it("keeps everything while under the limit", () => {
    const output = new CappedOutput({ headChars: 100, tailChars: 100 });
    for (const line of ["one", "two", "three"]) output.push(line);
    expect(output.toString()).toBe("one\ntwo\nthree");
  });

  it("keeps the head and tail and says how much of the middle was cut", () => {
    const output = new CappedOutput({ headChars: 20, tailChars: 20 });
    for (let index = 0; index < 1000; index++) output.push(`line ${index}`);
    const text = output.toString();
    expect(text.startsWith("line 0\nline 1\n")).toBe(true);
    expect(text.endsWith("line 998\nline 999")).toBe(true);
    expect(text).toMatch(/\[… \d+ lines \(\d+ characters\) cut by the runner/);
    expect(text.length).toBeLessThan(200);
    expect(output.totalChars).toBeGreaterThan(8000);
  });

  it("splits streamed chunks into lines across chunk boundaries", () => {
    const lines: string[] = [];
    const splitter = createLineSplitter((line) => lines.push(line));
    splitter.write("ab");
    splitter.write("c\r\nde");
    splitter.write("f\n");
    splitter.write("tail");
    splitter.end();
    expect(lines).toEqual(["abc", "def", "tail"]);
  });
});
