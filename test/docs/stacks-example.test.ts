// The README's stacks example is a valid config, and the cycle message it quotes is the one Terragate prints.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatConfigProblem, parseRepoConfig } from "../../src/domain/parse-repo-config.ts";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

describe("README stacks section", () => {
  const section = readme.slice(readme.indexOf("**Stacks.**"));
  const example = section.slice(
    section.indexOf("```yaml\n") + 8,
    section.indexOf("\n```", section.indexOf("```yaml\n")),
  );

  it("shows a config that parses, with the stacks it describes", () => {
    const parsed = parseRepoConfig(example);
    expect(parsed.ok && parsed.config.stacks).toEqual({
      network: { tag_query: "dir:live/vpc", depends_on: [] },
      apps: { tag_query: "dir:live/web or dir:live/db", depends_on: ["network"] },
    });
    expect(parsed.ok && parsed.config.dirs["live/dns"]?.depends_on).toEqual(["live/web"]);
  });

  it("quotes the cycle error as Terragate reports it", () => {
    const cyclic = example.replace(
      '    tag_query: "dir:live/vpc"',
      '    tag_query: "dir:live/vpc"\n    depends_on: [apps]',
    );
    const parsed = parseRepoConfig(cyclic);
    const message = parsed.ok ? "" : parsed.problems.map(formatConfigProblem).join("\n");
    expect(message).toMatch(/^\.terragate\/config\.yml:\d+:\d+: stacks: cycle network → apps → network$/);
    expect(section).toContain("stacks: cycle network → apps → network");
  });
});
