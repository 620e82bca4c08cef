// GitLab CI as the runner sees it: merge request refs, and the id_token the job requested for this server.
import type { CiPlatform } from "../ci.ts";

export const gitlabCi: CiPlatform = {
  vcs: "gitlab",
  pullRequestRef: (number) => `refs/merge-requests/${number}/head`,
  // GitLab mints id_tokens before the job starts (`id_tokens: TERRAGATE_ID_TOKEN: aud: <server URL>`).
  oidcToken(config) {
    const { idToken } = config;
    return idToken === undefined ? undefined : async () => idToken;
  },
};
