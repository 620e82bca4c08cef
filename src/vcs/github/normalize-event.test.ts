// GitHub payloads (from @octokit/webhooks-examples) → normalized events: the fields core code relies on.
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { normalizeGithubEvent, UnsupportedEventError } from "./normalize-event.ts";

const require = createRequire(import.meta.url);
const examples = require("@octokit/webhooks-examples/api.github.com/index.json") as Array<{
  name: string;
  examples: Array<Record<string, unknown>>;
}>;

function example(event: string, action: string): Record<string, unknown> {
  const found = examples
    .find((entry) => entry.name === event)
    ?.examples.find((item) => item["action"] === action);
  if (!found) throw new Error(`no example ${event}.${action}`);
  return {
    ...structuredClone(found),
    installation: { id: 9, account: { login: "acme", type: "Organization" } },
  };
}

describe("normalizeGithubEvent", () => {
  it("maps a pull_request event with refs, shas and author", () => {
    const payload = example("pull_request", "opened");
    const event = normalizeGithubEvent("pull_request", payload);
    const pull = payload["pull_request"] as {
      number: number;
      head: { sha: string };
      user: { login: string };
    };
    expect(event).toMatchObject({
      type: "pull_request",
      action: "opened",
      installation: { vcs: "github", externalId: "9", accountLogin: "acme" },
      pullRequest: { number: pull.number, headSha: pull.head.sha, author: pull.user.login, state: "open" },
    });
  });

  it("tells a PR from a fork (or from a deleted fork) from one of the same repository", () => {
    const same = normalizeGithubEvent("pull_request", example("pull_request", "opened"));
    expect(same).toMatchObject({
      pullRequest: { fromFork: false, headRepository: { fullName: "Codertocat/Hello-World" } },
    });
    const payload = example("pull_request", "opened");
    const head = (payload["pull_request"] as { head: Record<string, unknown> }).head;
    head["repo"] = { ...(head["repo"] as object), id: 77, full_name: "mallory/Hello-World", fork: true };
    expect(normalizeGithubEvent("pull_request", payload)).toMatchObject({
      pullRequest: { fromFork: true, headRepository: { externalId: "77", fullName: "mallory/Hello-World" } },
    });
    head["repo"] = null;
    expect(normalizeGithubEvent("pull_request", payload)).toMatchObject({
      pullRequest: { fromFork: true, headRepository: null },
    });
  });

  it("reports a merged PR as merged, not closed", () => {
    const payload = example("pull_request", "closed");
    Object.assign(payload["pull_request"] as object, { merged: true, merged_at: "2026-01-01T00:00:00Z" });
    const event = normalizeGithubEvent("pull_request", payload);
    expect(event.type === "pull_request" && event.pullRequest.state).toBe("merged");
  });

  it("maps a comment with its id, body and author", () => {
    const payload = example("issue_comment", "created");
    (payload["issue"] as Record<string, unknown>)["pull_request"] = { url: "x" };
    const event = normalizeGithubEvent("issue_comment", payload);
    const comment = payload["comment"] as { id: number; body: string };
    expect(event).toMatchObject({ type: "comment", comment: { id: String(comment.id), body: comment.body } });
  });

  it("maps workflow_job and check_run rerequested", () => {
    const job = normalizeGithubEvent("workflow_job", example("workflow_job", "completed"));
    expect(job).toMatchObject({ type: "workflow_job", source: "workflow_job", action: "completed" });
    const rerun = normalizeGithubEvent("check_run", example("check_run", "rerequested"));
    expect(rerun).toMatchObject({ type: "check_run_rerequested" });
  });

  it("names the missing field of a malformed payload", () => {
    expect(() => normalizeGithubEvent("pull_request", { action: "opened", installation: { id: 1 } })).toThrow(
      /repository/,
    );
    expect(() => normalizeGithubEvent("star", {})).toThrow(UnsupportedEventError);
  });
});
