// Connecting a GitLab group or project: check the token, find the namespace, create or update Terragate's webhook.
import { z } from "zod";
import { VcsError } from "../types.ts";
import { ApiAccessToken, ApiHook, ApiNamespace, ApiUser } from "./api-schema.ts";
import { type GitlabClient, gitlabMessage, isNotFound, parseAnswer } from "./client.ts";

export type GitlabNamespaceKind = "group" | "project";

/** A refusal a person fixes on the GitLab side; the message says what to change. */
export class GitlabConnectError extends Error {
  override name = "GitlabConnectError";
}

/** The hook events Terragate needs, as GitLab's hook API names them (everything else off). */
export const terragateHookEvents = {
  merge_requests_events: true,
  note_events: true,
  pipeline_events: true,
  job_events: true,
  push_events: true,
  issues_events: false,
  confidential_issues_events: false,
  confidential_note_events: false,
  tag_push_events: false,
  wiki_page_events: false,
  deployment_events: false,
  releases_events: false,
} as const;

async function verifyToken(client: GitlabClient) {
  let token: z.infer<typeof ApiAccessToken>;
  try {
    token = parseAnswer(
      ApiAccessToken,
      await client.call("read the access token", (api) => api.accessTokens.show()),
      "access token",
    );
  } catch (error) {
    if (error instanceof VcsError && error.kind === "unauthorized") {
      throw new GitlabConnectError(
        `GitLab at ${client.url} refused the token (unknown, revoked or expired): create a group or project access token with the api scope`,
        { cause: error },
      );
    }
    throw error;
  }
  if (!token.active || token.revoked)
    throw new GitlabConnectError("the access token is not active (revoked or expired)");
  if (!token.scopes.includes("api")) {
    throw new GitlabConnectError(
      `the access token has the scopes ${token.scopes.join(", ") || "(none)"} but Terragate needs the api scope (it writes notes, statuses and pipelines)`,
    );
  }
  const user = parseAnswer(
    ApiUser,
    await client.call("read the token's user", (api) => api.users.showCurrentUser()),
    "user",
  );
  return { token, user };
}

async function findNamespace(client: GitlabClient, kind: GitlabNamespaceKind, path: string) {
  try {
    const namespace = parseAnswer(
      ApiNamespace,
      await client.call(
        `read ${kind} ${path}`,
        (api): Promise<unknown> => (kind === "group" ? api.groups.show(path) : api.projects.show(path)),
      ),
      `${kind} ${path}`,
    );
    return {
      id: namespace.id,
      fullPath: (kind === "group" ? namespace.full_path : namespace.path_with_namespace) ?? path,
      webUrl: namespace.web_url ?? null,
      defaultBranch: namespace.default_branch ?? null,
    };
  } catch (error) {
    if (isNotFound(error)) {
      throw new GitlabConnectError(
        `GitLab has no ${kind} ${path} that this token can see (check the path and the token's ${kind})`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
}

/** Creates Terragate's hook on the group or project, or updates the one already pointing at Terragate. */
async function upsertHook(
  client: GitlabClient,
  kind: GitlabNamespaceKind,
  namespaceId: number,
  input: { url: string; secret: string },
  defaultBranch: string | null,
): Promise<{ id: number; action: "created" | "updated" }> {
  const hooks = (api: GitlabClient["api"]) => (kind === "group" ? api.groupHooks : api.projectHooks);
  const settings = {
    token: input.secret,
    enableSslVerification: true,
    ...(kind === "project" && defaultBranch ? { pushEventsBranchFilter: defaultBranch } : {}),
    ...terragateHookEvents,
  };
  try {
    const existing = parseAnswer(
      z.array(ApiHook),
      await client.call(
        `list the ${kind}'s webhooks`,
        (api): Promise<unknown> => hooks(api).all(namespaceId),
      ),
      "webhooks",
    );
    const ours = existing.find(
      (hook) => /\/api\/(v1\/gitlab|gitlab\/v1)\/events$/.test(hook.url) && sameOrigin(hook.url, input.url),
    );
    if (ours) {
      await client.call(
        `update webhook ${ours.id}`,
        (api): Promise<unknown> => hooks(api).edit(namespaceId, ours.id, input.url, settings as never),
      );
      return { id: ours.id, action: "updated" };
    }
    const created = parseAnswer(
      ApiHook,
      await client.call(
        "create the webhook",
        (api): Promise<unknown> => hooks(api).add(namespaceId, input.url, settings as never),
      ),
      "webhook",
    );
    return { id: created.id, action: "created" };
  } catch (error) {
    if (error instanceof VcsError && error.kind === "forbidden") {
      const role = kind === "group" ? "Owner" : "Maintainer";
      throw new GitlabConnectError(
        `the token may not manage the ${kind}'s webhooks: give the token the ${role} role on the ${kind}`,
        {
          cause: error,
        },
      );
    }
    if (error instanceof VcsError && (error.status === 400 || error.status === 422)) {
      throw new GitlabConnectError(
        `GitLab refused the webhook URL ${input.url} (${gitlabMessage(error)}): set TERRAGATE_URL to an address GitLab can reach`,
        { cause: error },
      );
    }
    throw error;
  }
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

export interface GitlabNamespaceCheck {
  kind: GitlabNamespaceKind;
  namespaceId: number;
  fullPath: string;
  webUrl: string | null;
  defaultBranch: string | null;
  bot: { id: number; username: string };
  scopes: string[];
  tokenExpiresAt: string | null;
}

/** Step one of connecting: the token works and has the api scope, and the group or project exists. Changes nothing. */
export async function checkGitlabNamespace(
  client: GitlabClient,
  kind: GitlabNamespaceKind,
  path: string,
): Promise<GitlabNamespaceCheck> {
  const { token, user } = await verifyToken(client);
  const namespace = await findNamespace(client, kind, path);
  return {
    kind,
    namespaceId: namespace.id,
    fullPath: namespace.fullPath,
    webUrl: namespace.webUrl,
    defaultBranch: namespace.defaultBranch,
    bot: { id: user.id, username: user.username },
    scopes: token.scopes,
    tokenExpiresAt: token.expires_at ?? null,
  };
}

/** Step two: Terragate's webhook on the group or project, created or updated with the secret and events. */
export function installTerragateHook(
  client: GitlabClient,
  namespace: GitlabNamespaceCheck,
  hook: { url: string; secret: string },
): Promise<{ id: number; action: "created" | "updated" }> {
  return upsertHook(client, namespace.kind, namespace.namespaceId, hook, namespace.defaultBranch);
}
