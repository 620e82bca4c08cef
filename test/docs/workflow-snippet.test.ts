// The workflow a PR comment tells people to add is the one the README documents, to the letter.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderMissingWorkflow } from "../../src/render/replies.ts";
import { exampleServerUrl, workflowSnippet } from "../../src/vcs/github/workflow-snippet.ts";

describe("workflow snippet", () => {
  it("is the README's .github/workflows/terragate.yml", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    expect(readme).toContain(`\`\`\`yaml\n${workflowSnippet()}\n\`\`\``);
  });

  it("checks out the repository, pins the server URL in the file and passes the dispatch's manifest and token", () => {
    const snippet = workflowSnippet();
    expect(snippet).toContain("actions/checkout@");
    for (const name of ["work-manifest-id", "work-token"]) {
      expect(snippet).toContain(`${name}: \${{ inputs.${name} }}`);
    }
    expect(snippet).toContain(`api-url: ${exampleServerUrl}`);
    // The dispatch still carries api-base-url, but the workflow never hands it to the action.
    expect(snippet).not.toContain("inputs.api-base-url");
  });

  it("is what the missing-workflow comment shows, with the server's own URL pinned", () => {
    const comment = renderMissingWorkflow(
      7,
      ".github/workflows/terragate.yml",
      "main",
      workflowSnippet("https://terragate.acme.dev"),
    );
    expect(comment).toContain("`.github/workflows/terragate.yml` does not exist on `main`");
    expect(comment).toContain(workflowSnippet("https://terragate.acme.dev"));
    expect(
      workflowSnippet("https://terragate.acme.dev").replace("https://terragate.acme.dev", exampleServerUrl),
    ).toBe(workflowSnippet());
  });
});
