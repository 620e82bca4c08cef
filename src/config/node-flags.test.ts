import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { nodeFlags } from "./node-flags.ts";

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

describe("node flags", () => {
  it("are on the command line of npm start and of the terragate bin", () => {
    const start = (JSON.parse(read("package.json")) as { scripts: { start: string } }).scripts.start;
    const shebang = read("bin/terragate.js").split("\n")[0];
    for (const flag of nodeFlags) {
      expect(start).toContain(flag);
      expect(shebang).toContain(flag);
    }
  });
});
