// GitLab hooks (shaped like GitLab's documented examples) → normalized events: the fields core code relies on.
import { describe, expect, it } from "vitest";
import {
  jobHook,
  mergeRequestHook,
  noteHook,
  pipelineHook,
  project,
  projectId,
  projectPath,
  pushHook,
} from "../../../test/gitlab/payloads.ts";
import type { InstallationRef } from "../types.ts";
import { parseNoteId } from "./ids.ts";
import { normalizeGitlabEvent, UnsupportedGitlabEventError } from "./normalize-event.ts";

const installation: InstallationRef = {
  vcs: "gitlab",
  externalId: "7",
  accountLogin: "acme",
  accountType: "group",
};

const normalize = (hook: string, payload: unknown) => normalizeGitlabEvent(hook, payload, installation);

describe("Merge Request Hook", () => {
  it("maps open to opened with the project as the repository and the iid as the number", () => {
    const event = normalize(
      "Merge Request Hook",
      mergeRequestHook({ action: "open", iid: 12, headSha: "abc123" }),
    );
    expect(event).toMatchObject({
      type: "pull_request",
      action: "opened",
      installation,
      repo: {
        externalId: String(projectId),
        owner: "acme/platform",
        name: "infra",
        fullName: projectPath,
        defaultBranch: "main",
        private: true,
      },
      pullRequest: {
        number: 12,
        state: "open",
        draft: false,
        author: "alice",
        baseRef: "main",
        headRef: "feature",
        headSha: "abc123",
        mergeable: true,
      },
      sender: "alice",
    });
  });

  it("maps an update with new commits (oldrev) to synchronize", () => {
    const event = normalize("Merge Request Hook", mergeRequestHook({ action: "update", oldrev: "0ld" }));
    expect(event).toMatchObject({ type: "pull_request", action: "synchronize" });
  });

  it("maps draft → ready to ready_for_review, and other updates to nothing", () => {
    const ready = mergeRequestHook({
      action: "update",
      changes: { draft: { previous: true, current: false } },
    });
    expect(normalize("Merge Request Hook", ready)).toMatchObject({ action: "ready_for_review" });
    const toDraft = mergeRequestHook({
      action: "update",
      draft: true,
      changes: { draft: { previous: false, current: true } },
    });
    expect(() => normalize("Merge Request Hook", toDraft)).toThrow(UnsupportedGitlabEventError);
    const labels = mergeRequestHook({ action: "update", changes: { labels: { previous: [], current: [] } } });
    expect(() => normalize("Merge Request Hook", labels)).toThrow(/not handled/);
  });

  it("maps reopen, close and merge, with merged and closed states", () => {
    expect(normalize("Merge Request Hook", mergeRequestHook({ action: "reopen" }))).toMatchObject({
      action: "reopened",
      pullRequest: { state: "open" },
    });
    expect(normalize("Merge Request Hook", mergeRequestHook({ action: "close" }))).toMatchObject({
      action: "closed",
      pullRequest: { state: "closed" },
    });
    expect(normalize("Merge Request Hook", mergeRequestHook({ action: "merge" }))).toMatchObject({
      action: "closed",
      pullRequest: { state: "merged" },
    });
  });

  it("does not take the acting user for the author when someone else acted", () => {
    const event = normalize(
      "Merge Request Hook",
      mergeRequestHook({ action: "update", oldrev: "x", actor: "mallory" }),
    );
    expect(event).toMatchObject({ sender: "mallory", pullRequest: { author: "" } });
  });

  it("ignores approvals (they are read when an apply needs them)", () => {
    expect(() => normalize("Merge Request Hook", mergeRequestHook({ action: "approved" }))).toThrow(
      UnsupportedGitlabEventError,
    );
  });

  it("names the missing field of a malformed payload", () => {
    const payload = mergeRequestHook({ action: "open" }) as unknown as Record<string, unknown>;
    delete payload["project"];
    expect(() => normalize("Merge Request Hook", payload)).toThrow(/missing project/);
  });
});

describe("Note Hook", () => {
  it("maps a new note on a merge request to a comment whose id addresses the note", () => {
    const event = normalize(
      "Note Hook",
      noteHook({ body: "terragate plan", iid: 3, noteId: 1244, action: "create" }),
    );
    expect(event).toMatchObject({
      type: "comment",
      prNumber: 3,
      comment: { body: "terragate plan", author: "alice" },
      repo: { fullName: projectPath },
    });
    if (event.type !== "comment") throw new Error("expected a comment");
    expect(parseNoteId(event.comment.id)).toEqual({ mergeRequestIid: 3, noteId: 1244 });
  });

  it("accepts notes from GitLab versions that send no action", () => {
    expect(normalize("Note Hook", noteHook({ body: "terragate apply" }))).toMatchObject({ type: "comment" });
  });

  it("ignores edited notes, system notes and notes on issues, commits and snippets", () => {
    expect(() => normalize("Note Hook", noteHook({ body: "terragate plan", action: "update" }))).toThrow(
      /only new notes/,
    );
    expect(() => normalize("Note Hook", noteHook({ body: "added 1 commit", system: true }))).toThrow(
      /system/,
    );
    for (const noteableType of ["Issue", "Commit", "Snippet"] as const) {
      expect(() => normalize("Note Hook", noteHook({ body: "terragate plan", noteableType }))).toThrow(
        UnsupportedGitlabEventError,
      );
    }
  });
});

describe("Pipeline Hook and Job Hook", () => {
  it("maps a failed pipeline to a completed run with a failure conclusion and the pipeline id", () => {
    const event = normalize("Pipeline Hook", pipelineHook({ id: 31, status: "failed" }));
    expect(event).toMatchObject({
      type: "workflow_job",
      source: "workflow_run",
      action: "completed",
      conclusion: "failure",
      runId: "31",
      runUrl: `http://gitlab.example.com/${projectPath}/-/pipelines/31`,
    });
  });

  it("maps pipeline statuses: canceled → cancelled, running → in_progress, pending → queued", () => {
    expect(normalize("Pipeline Hook", pipelineHook({ status: "canceled" }))).toMatchObject({
      action: "completed",
      conclusion: "cancelled",
    });
    expect(normalize("Pipeline Hook", pipelineHook({ status: "running" }))).toMatchObject({
      action: "in_progress",
      conclusion: null,
    });
    expect(normalize("Pipeline Hook", pipelineHook({ status: "pending" }))).toMatchObject({
      action: "queued",
    });
  });

  it("maps a canceled job to its pipeline's run with the job's link", () => {
    const event = normalize("Job Hook", jobHook({ buildId: 1977, pipelineId: 2366, status: "canceled" }));
    expect(event).toMatchObject({
      type: "workflow_job",
      source: "workflow_job",
      action: "completed",
      conclusion: "cancelled",
      runId: "2366",
      runUrl: `http://gitlab.example.com/${projectPath}/-/jobs/1977`,
      name: "terragate",
    });
  });
});

describe("Push Hook", () => {
  it("maps a push to the default branch to a default-branch push", () => {
    expect(normalize("Push Hook", pushHook({ after: "abc" }))).toMatchObject({
      type: "repository",
      action: "pushed",
      repo: { defaultBranch: "main", fullName: projectPath },
    });
  });

  it("ignores pushes to other branches and branch deletions", () => {
    expect(() => normalize("Push Hook", pushHook({ ref: "refs/heads/feature" }))).toThrow(
      /not to the default branch/,
    );
    expect(() =>
      normalize("Push Hook", pushHook({ after: "0000000000000000000000000000000000000000" })),
    ).toThrow(/deleted/);
    const release = project({ default_branch: "release" });
    expect(normalize("Push Hook", pushHook({ ref: "refs/heads/release", project: release }))).toMatchObject({
      type: "repository",
      action: "pushed",
    });
  });
});

it("refuses hooks Terragate does not handle", () => {
  expect(() => normalize("Issue Hook", {})).toThrow(/not handled/);
});
