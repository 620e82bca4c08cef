// Gives jobs a GitLab provider per installation and project: the connection's sealed token, one client per token.
import { createHash } from "node:crypto";
import { unseal } from "../../crypto/seal.ts";
import {
  type GitlabConnectionRecord,
  getGitlabConnection,
  gitlabProjectId,
  markGitlabConnectionBroken,
} from "../../db/queries/gitlab-connections.ts";
import type { PlatformDeps, ProviderSource } from "../platform.ts";
import { VcsError, type VcsProvider } from "../types.ts";
import { ApiNamespace } from "./api-schema.ts";
import { createGitlabClient, type GitlabClient, parseAnswer } from "./client.ts";
import { createGitlabProvider } from "./provider.ts";
import { gitlabTokenContext, reconnectAdvice } from "./token.ts";

interface CachedClient {
  key: string;
  client: GitlabClient;
  projectIds: Map<string, string>;
}

/** Hashes the sealed token: a reconnect (a new token) replaces the cached client. */
function tokenKey(connection: GitlabConnectionRecord): string {
  return createHash("sha256")
    .update(connection.accessTokenSealed ?? Buffer.alloc(0))
    .digest("hex");
}

/** The error every call of a disconnected installation fails with: says how to connect it. */
export class GitlabNotConnectedError extends VcsError {
  override name = "GitlabNotConnectedError";
}

/**
 * One per process. A 401 from GitLab marks the installation broken (the health endpoint, the admin
 * page and the log say which and how to reconnect; the merge request cannot be told, as every note
 * needs the refused token); connecting again replaces the token.
 */
export function createGitlabProviderSource(deps: PlatformDeps): ProviderSource {
  const clients = new Map<string, CachedClient>();

  function clientFor(connection: GitlabConnectionRecord): CachedClient {
    const key = tokenKey(connection);
    const cached = clients.get(connection.externalId);
    if (cached?.key === key) return cached;
    if (!connection.accessTokenSealed) {
      throw new GitlabNotConnectedError(
        `GitLab installation gitlab:${connection.externalId} (${connection.fullPath}) has no access token; ${reconnectAdvice(connection)}`,
        "unauthorized",
        null,
      );
    }
    const token = unseal(
      deps.encryptionKey,
      connection.accessTokenSealed,
      gitlabTokenContext(connection.instanceUrl, connection.externalId),
    ).toString("utf8");
    const client = createGitlabClient({
      url: connection.instanceUrl,
      token,
      onUnauthorized: async (error) => {
        try {
          const marked = await markGitlabConnectionBroken(
            deps.database.db,
            connection.installationId,
            error.message,
          );
          if (marked) {
            deps.logger.error(
              { installation: `gitlab:${connection.externalId}`, path: connection.fullPath },
              `GitLab refused the access token of ${connection.kind} ${connection.fullPath}: installation gitlab:${connection.externalId} is broken; ${reconnectAdvice(connection)}`,
            );
          }
        } catch (markError) {
          deps.logger.error({ err: markError }, "could not mark the GitLab installation broken");
        }
      },
    });
    const entry = { key, client, projectIds: new Map<string, string>() };
    clients.set(connection.externalId, entry);
    return entry;
  }

  async function projectIdOf(entry: CachedClient, connection: GitlabConnectionRecord, path: string) {
    const known = entry.projectIds.get(path);
    if (known) return known;
    let id = await gitlabProjectId(deps.database.db, connection.installationId, path);
    if (id === null) {
      const project = await entry.client.call(`read project ${path}`, (api) => api.projects.show(path));
      id = String(parseAnswer(ApiNamespace, project, `project ${path}`).id);
    }
    entry.projectIds.set(path, id);
    return id;
  }

  return {
    async providerFor(installation, owner, repo): Promise<VcsProvider> {
      const connection = await getGitlabConnection(deps.database.db, installation.externalId);
      if (!connection) {
        throw new GitlabNotConnectedError(
          `GitLab installation gitlab:${installation.externalId} is not connected; run \`terragate gitlab connect\``,
          "not_found",
          null,
        );
      }
      const entry = clientFor(connection);
      const projectPath = owner === "" ? repo : `${owner}/${repo}`;
      return createGitlabProvider({
        client: entry.client,
        projectId: await projectIdOf(entry, connection, projectPath),
        projectPath,
        botUserId: connection.botUserId,
      });
    },
  };
}
