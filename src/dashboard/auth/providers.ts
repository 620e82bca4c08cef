// Which sign-ins this server offers, built from the configuration (GitHub's client may appear later through /setup).
import type { Logger } from "pino";
import { githubWebUrl } from "../../api/setup/app-manifest.ts";
import type { Config } from "../../config/env.ts";
import type { DatabaseClient } from "../../db/client.ts";
import { createGithubOAuth } from "../../vcs/github/oauth.ts";
import { loadGithubOAuthClient } from "../../vcs/github/oauth-credentials.ts";
import { createGitlabOAuth } from "../../vcs/gitlab/oauth.ts";
import type { OAuthProvider } from "../../vcs/oauth.ts";
import type { VcsName } from "../../vcs/types.ts";

export interface ProviderDeps {
  config: Config;
  database: DatabaseClient;
  logger: Logger;
  encryptionKey: Buffer;
}

export type ProviderResolver = (vcs: VcsName) => Promise<OAuthProvider | null>;

/** GitHub's client is re-read every few seconds (the setup flow may store one); GitLab's comes from the environment. */
export function createProviderResolver(deps: ProviderDeps, ttlMs = 5_000): ProviderResolver {
  let github: { provider: OAuthProvider | null; at: number } | undefined;
  const gitlab =
    deps.config.GITLAB_CLIENT_ID !== undefined && deps.config.GITLAB_CLIENT_SECRET !== undefined
      ? createGitlabOAuth({
          clientId: deps.config.GITLAB_CLIENT_ID,
          clientSecret: deps.config.GITLAB_CLIENT_SECRET,
          url: deps.config.GITLAB_URL,
        })
      : null;
  return async (vcs) => {
    switch (vcs) {
      case "gitlab":
        return gitlab;
      case "github": {
        if (github && Date.now() - github.at < ttlMs) return github.provider;
        const client = await loadGithubOAuthClient(deps);
        const provider = client
          ? createGithubOAuth({
              clientId: client.clientId,
              clientSecret: client.clientSecret,
              webUrl: githubWebUrl(deps.config),
              apiUrl: deps.config.githubApiUrl,
              logger: deps.logger,
            })
          : null;
        github = { provider, at: Date.now() };
        return provider;
      }
      default: {
        const unreachable: never = vcs;
        return unreachable;
      }
    }
  };
}
