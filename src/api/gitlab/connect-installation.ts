// Connecting a GitLab group or project as an installation: check on GitLab, then webhook, then store (CLI and API share it).
import { randomBytes } from "node:crypto";
import type { Config } from "../../config/env.ts";
import { seal } from "../../crypto/seal.ts";
import type { Database } from "../../db/client.ts";
import {
  GitlabConnectionConflictError,
  listGitlabConnections,
  pathsOverlap,
  saveGitlabConnection,
} from "../../db/queries/gitlab-connections.ts";
import { createGitlabClient, normalizeGitlabUrl } from "../../vcs/gitlab/client.ts";
import {
  checkGitlabNamespace,
  GitlabConnectError,
  installTerragateHook,
  terragateHookEvents,
} from "../../vcs/gitlab/connect.ts";
import { gitlabTokenContext } from "../../vcs/gitlab/token.ts";
import { gitlabConnectionsChanged, hashWebhookSecret } from "./connection-cache.ts";

export interface ConnectGitlabInput {
  /** The GitLab instance (default GITLAB_URL). */
  url?: string | undefined;
  kind: "group" | "project";
  path: string;
  token: string;
}

export interface ConnectGitlabResult {
  installationId: number;
  /** `gitlab:<id>`: how the CLI and the API name the installation. */
  installationRef: string;
  instanceUrl: string;
  kind: "group" | "project";
  namespaceId: number;
  fullPath: string;
  bot: { id: number; username: string };
  scopes: string[];
  tokenExpiresAt: string | null;
  hook: { id: number; action: "created" | "updated"; url: string; events: string[] };
  /** Where the webhook's secret token came from. */
  secretSource: "generated" | "GITLAB_WEBHOOK_SECRET";
}

export { GitlabConnectError, gitlabTokenContext };

/**
 * Verifies the token (api scope), finds the group or project, refuses an overlap with another
 * installation before touching GitLab, creates or updates the webhook with a new secret (or
 * GITLAB_WEBHOOK_SECRET), then stores the installation with the token sealed. Running it again
 * repairs an interrupted run: the same webhook is updated and the row rewritten.
 */
export async function connectGitlabInstallation(
  deps: { config: Config; database: { db: Database }; encryptionKey: Buffer },
  input: ConnectGitlabInput,
): Promise<ConnectGitlabResult> {
  const instanceUrl = normalizeGitlabUrl(input.url ?? deps.config.GITLAB_URL);
  if (!URL.canParse(instanceUrl) || !/^https?:$/.test(new URL(instanceUrl).protocol)) {
    throw new GitlabConnectError(`"${input.url}" is not an http(s) URL of a GitLab instance`);
  }
  const path = input.path.trim().replace(/^\/+|\/+$/g, "");
  if (path === "" || path.split("/").some((segment) => segment === "" || /^\.+$/.test(segment))) {
    throw new GitlabConnectError(
      `"${input.path}" is not a GitLab ${input.kind} path (e.g. acme or acme/infra)`,
    );
  }
  const client = createGitlabClient({ url: instanceUrl, token: input.token, retry: { attempts: 3 } });
  const namespace = await checkGitlabNamespace(client, input.kind, path);

  for (const other of await listGitlabConnections(deps.database.db)) {
    const same =
      other.instanceUrl === instanceUrl && other.fullPath.toLowerCase() === namespace.fullPath.toLowerCase();
    if (!same && other.instanceUrl === instanceUrl && pathsOverlap(other.fullPath, namespace.fullPath)) {
      throw new GitlabConnectionConflictError(
        `${input.kind} ${namespace.fullPath} overlaps the connected ${other.kind} ${other.fullPath} (installation gitlab:${other.externalId}); GitLab would send every event to both webhooks. Connect only the enclosing group.`,
      );
    }
  }

  const webhookUrl = `${deps.config.publicUrl}/api/v1/gitlab/events`;
  const secret = deps.config.GITLAB_WEBHOOK_SECRET ?? randomBytes(32).toString("base64url");
  const hook = await installTerragateHook(client, namespace, { url: webhookUrl, secret });
  const installationId = await deps.database.db.transaction((tx) =>
    saveGitlabConnection(tx, {
      instanceUrl,
      kind: input.kind,
      namespaceId: String(namespace.namespaceId),
      fullPath: namespace.fullPath,
      accessTokenSealed: seal(
        deps.encryptionKey,
        Buffer.from(input.token, "utf8"),
        gitlabTokenContext(instanceUrl, namespace.namespaceId),
      ),
      webhookSecretHash: hashWebhookSecret(secret),
      hookId: hook.id,
      botUserId: namespace.bot.id,
      botUsername: namespace.bot.username,
      tokenExpiresAt: namespace.tokenExpiresAt,
    }),
  );
  gitlabConnectionsChanged();
  return {
    installationId,
    installationRef: `gitlab:${namespace.namespaceId}`,
    instanceUrl,
    kind: input.kind,
    namespaceId: namespace.namespaceId,
    fullPath: namespace.fullPath,
    bot: namespace.bot,
    scopes: namespace.scopes,
    tokenExpiresAt: namespace.tokenExpiresAt,
    hook: {
      ...hook,
      url: webhookUrl,
      events: Object.entries(terragateHookEvents)
        .filter(([, on]) => on)
        .map(([name]) => name),
    },
    secretSource: deps.config.GITLAB_WEBHOOK_SECRET === undefined ? "generated" : "GITLAB_WEBHOOK_SECRET",
  };
}

/** What `terragate gitlab connect` prints: one line per thing it did. */
export function describeConnection(result: ConnectGitlabResult): string[] {
  const expiry = result.tokenExpiresAt ? `, expires ${result.tokenExpiresAt}` : ", no expiry";
  return [
    `Token: user ${result.bot.username} (id ${result.bot.id}), scopes ${result.scopes.join(", ")}${expiry}.`,
    `Connected ${result.kind} ${result.fullPath} (id ${result.namespaceId}) on ${result.instanceUrl} as installation ${result.installationRef}.`,
    `${result.hook.action === "created" ? "Created" : "Updated"} the ${result.kind} webhook ${result.hook.id} → ${result.hook.url} ` +
      `(${result.hook.events.join(", ")}) with ${result.secretSource === "generated" ? "a newly generated secret token" : "GITLAB_WEBHOOK_SECRET as its secret token"}.`,
    "Stored the access token sealed with the encryption key.",
    "Next: include the Terragate CI component in each project's .gitlab-ci.yml (see the README's GitLab section).",
  ];
}
