// Gives jobs a GitHub provider per installation and repository, from whichever credentials are current.
import { createHash } from "node:crypto";
import type { Logger } from "pino";
import type { Config } from "../../config/env.ts";
import type { DatabaseClient } from "../../db/client.ts";
import type { VcsProvider } from "../types.ts";
import type { GithubClients } from "./clients.ts";
import { createCredentialsCache, GithubCredentialsError } from "./credentials.ts";

export interface GithubProviderSource {
  providerFor(installationId: string, owner: string, repo: string): Promise<VcsProvider>;
}

function fingerprint(privateKey: string): string {
  return createHash("sha256").update(privateKey).digest("hex");
}

/**
 * One per worker process: the token cache lives as long as the credentials do; credentials saved
 * by /setup replace it without a restart.
 */
export function createGithubProviderSource(deps: {
  config: Config;
  database: DatabaseClient;
  logger: Logger;
  encryptionKey: Buffer;
}): GithubProviderSource {
  const credentials = createCredentialsCache(deps);
  let current: { key: string; clients: GithubClients } | undefined;
  return {
    async providerFor(installationId, owner, repo) {
      const app = await credentials.get();
      if (!app) {
        throw new GithubCredentialsError(
          "no GitHub App is configured: set APP_ID, PRIVATE_KEY and WEBHOOK_SECRET, or create one at /setup",
        );
      }
      // The key itself, hashed: a rotated key of the same size must replace the clients too.
      const key = `${app.appId}:${fingerprint(app.privateKey)}:${deps.config.githubApiUrl}`;
      if (current?.key !== key) {
        // probot and octokit load with the first app: a server still at /setup never needs them.
        const { createGithubClients } = await import("./clients.ts");
        current = {
          key,
          clients: createGithubClients({
            credentials: app,
            apiUrl: deps.config.githubApiUrl,
            logger: deps.logger,
          }),
        };
      }
      return current.clients.providerFor(installationId, owner, repo);
    },
  };
}
