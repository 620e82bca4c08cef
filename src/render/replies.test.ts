import { describe, expect, it } from "vitest";
import { gitlabNoteLimit } from "../vcs/gitlab/limits.ts";
import { renderConfigError } from "./replies.ts";

const githubCommentLimit = 65_536;

describe("config error reply", () => {
  // 3,000 problems of ~40 characters: ~120,000 characters, over GitHub's limit and under GitLab's.
  const problems = Array.from(
    { length: 3000 },
    (_, index) => `config.yml:${index + 1}:1: dirs.x: unknown key`,
  );

  it("fits GitHub's comment limit, saying it was cut, with the code block closed", () => {
    const body = renderConfigError(7, "feature", problems, githubCommentLimit);
    expect(body.length).toBeLessThanOrEqual(githubCommentLimit);
    expect(body).toContain("… (truncated)");
    expect(body).toMatch(/\n```\n\nFix the file and push/);
  });

  it("keeps every problem where the platform's limit allows it (a GitLab note)", () => {
    const body = renderConfigError(7, "feature", problems, gitlabNoteLimit);
    expect(body).not.toContain("… (truncated)");
    expect(body).toContain(problems.at(-1));
  });
});
