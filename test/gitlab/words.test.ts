// On GitLab, replies, check summaries and run-died reasons use GitLab's words: MR, !N, pipeline.
import { describe, expect, it } from "vitest";
import { runDiedReason } from "../../src/jobs/run-died.ts";
import { renderHelp, renderNothingMatched, renderUnlocked } from "../../src/render/replies.ts";
import { platformFor } from "../../src/vcs/registry.ts";
import type { Vcs, WorkflowJobEvent } from "../../src/vcs/types.ts";

const githubWords = [/pull request/i, /\bPR\b/, /workflow/i, /GitHub Action/i, /the Terragate action/i];

function expectGitlabWords(text: string): void {
  for (const word of githubWords) expect(text).not.toMatch(word);
}

function pipelineEvent(vcs: Vcs, source: WorkflowJobEvent["source"], conclusion: string): WorkflowJobEvent {
  return {
    type: "workflow_job",
    source,
    action: "completed",
    installation: { vcs, externalId: "1", accountLogin: "acme", accountType: "Organization" },
    repo: {
      externalId: "9",
      owner: "acme",
      name: "infra",
      fullName: "acme/infra",
      defaultBranch: "main",
      private: true,
    },
    runId: "77",
    runAttempt: 1,
    runUrl: "https://gitlab.example/acme/infra/-/pipelines/77",
    name: "terragate",
    workflowPath: null,
    headSha: "a".repeat(40),
    conclusion,
  };
}

describe("GitLab's words", () => {
  const words = platformFor("gitlab").words;

  it("help and nothing-matched replies speak of the merge request (MR)", () => {
    const help = renderHelp(7, undefined, words.changeRequestShort);
    expect(help).toContain("comment on this MR");
    expectGitlabWords(help.replace(/<!--.*-->/, ""));
    const nothing = renderNothingMatched(7, "plan", "", 0, words.changeRequestShort);
    expect(nothing).toContain("This MR changes no terraform dirspace");
    expectGitlabWords(nothing.replace(/<!--.*-->/, ""));
    expect(words.changeRequest).toBe("merge request");
  });

  it("unlock replies refer to merge requests as !N", () => {
    const reply = renderUnlocked(
      7,
      [{ dir: "infra", workspace: "default", pullRequestNumber: 7 }],
      [7, 8],
      words.reference,
    );
    expect(reply).toContain("- !7: ");
    expect(reply).not.toMatch(/#7|#8/);
    expect(renderUnlocked(7, [], [8], words.reference)).toContain("No locks held by !8.");
  });

  it("a dead pipeline's reason names the pipeline, never a workflow or the GitHub Action", () => {
    for (const [source, conclusion] of [
      ["workflow_job", "failure"],
      ["workflow_run", "success"],
    ] as const) {
      const reason = runDiedReason(pipelineEvent("gitlab", source, conclusion));
      expect(reason).toMatch(/^the pipeline /);
      expectGitlabWords(reason ?? "");
    }
    expect(runDiedReason(pipelineEvent("gitlab", "workflow_run", "success"))).toContain(
      "the pipeline includes the Terragate component",
    );
  });

  it("GitHub keeps its words", () => {
    expect(renderHelp(7)).toContain("comment on this PR");
    expect(runDiedReason(pipelineEvent("github", "workflow_run", "success"))).toContain(
      "the CI run finished (success) without reporting results",
    );
    expect(runDiedReason(pipelineEvent("github", "workflow_run", "success"))).toContain(
      "check the workflow runs the Terragate action",
    );
  });
});
