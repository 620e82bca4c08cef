// GitLab CI as the runner sees it: merge request refs; runs prove themselves with their work token.
import type { CiPlatform } from "../ci.ts";

export const gitlabCi: CiPlatform = {
  vcs: "gitlab",
  pullRequestRef: (number) => `refs/merge-requests/${number}/head`,
  oidcToken: () => undefined,
};
