// The .gitlab-ci.yml a missing-pipeline note tells people to add is the README's, to the letter.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderMissingWorkflow } from "../../src/render/replies.ts";
import { gitlabCiSnippet } from "../../src/vcs/gitlab/ci-snippet.ts";
import { platforms } from "../../src/vcs/registry.ts";

describe("GitLab CI snippet", () => {
  it("is the README's .gitlab-ci.yml", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    expect(readme).toContain(`\`\`\`yaml\n${gitlabCiSnippet()}\`\`\``);
  });

  it("names Terragate's pipelines by manifest and passes the manifest and token to the component", () => {
    const snippet = gitlabCiSnippet("https://terragate.acme.dev");
    expect(snippet).toContain(
      `name: "${platforms.gitlab.dispatch.runTitle("$[[ inputs.terragate_work_manifest_id ]]")}"`,
    );
    expect(snippet).toContain("server_url: https://terragate.acme.dev");
    expect(snippet).toContain("work_token: $[[ inputs.terragate_work_token ]]");
  });

  it("is what the note shows when .gitlab-ci.yml is missing", () => {
    const note = renderMissingWorkflow(
      3,
      platforms.gitlab.dispatch.workflowPath,
      "main",
      platforms.gitlab.dispatch.snippet("https://terragate.acme.dev"),
    );
    expect(note).toContain("`.gitlab-ci.yml` does not exist on `main`");
    expect(note).toContain(gitlabCiSnippet("https://terragate.acme.dev"));
  });
});
