// The workflow a PR comment tells people to add is the one the README documents, to the letter.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderMissingWorkflow, workflowSnippet } from "../../src/render/replies.ts";

describe("workflow snippet", () => {
  it("is the README's .github/workflows/terragate.yml", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    expect(readme).toContain(`\`\`\`yaml\n${workflowSnippet()}\n\`\`\``);
  });

  it("checks out the repository and passes the three dispatch inputs to the action", () => {
    const snippet = workflowSnippet();
    expect(snippet).toContain("actions/checkout@");
    for (const name of ["work-manifest-id", "api-base-url", "work-token"]) {
      expect(snippet).toContain(`${name}: \${{ inputs.${name} }}`);
    }
    expect(renderMissingWorkflow(7, "terragate.yml", "main")).toContain(snippet);
  });
});
