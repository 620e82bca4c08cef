// The GitLab platform: webhook intake and connecting, events, providers, runner auth, links, limits, words
// and sign-in — what the registry hands to jobs, the evaluator, the renderer and the runner endpoints.
import type { Hono } from "hono";
import type { AppDeps } from "../../api/app.ts";
import { createCiFileRoutes } from "../../api/gitlab/ci-file-routes.ts";
import { createGitlabInstallationRoutes } from "../../api/gitlab/installation-routes.ts";
import { createGitlabIntakeState, createGitlabWebhookRoutes } from "../../api/gitlab/webhook-routes.ts";
import type { Config } from "../../config/env.ts";
import { gitlabInstanceUrl } from "../../db/queries/gitlab-connections.ts";
import type { OAuthProvider } from "../oauth.ts";
import type { EventContext, ProviderSource, VcsPlatform } from "../platform.ts";
import { type InstallationRef, UnsupportedEventError, type VcsEvent } from "../types.ts";
import { gitlabCiSnippet } from "./ci-snippet.ts";
import { gitlabNoteLimit, gitlabStatusesPerRunCap, gitlabStatusTextLimit } from "./limits.ts";
import { normalizeGitlabEvent } from "./normalize-event.ts";
import { gitlabRunnerIdentity } from "./runner-identity.ts";

function gitlabWebUrl(config: Config): string {
  return config.GITLAB_URL.replace(/\/+$/, "");
}

/** GitLab hooks do not name the installation: intake stored the one whose webhook secret matched. */
function normalizeEvent(hook: string, payload: unknown, delivery: { installationExternalId: string | null }) {
  if (delivery.installationExternalId === null) {
    throw new UnsupportedEventError("the GitLab delivery was stored without an installation");
  }
  // Login and type are the connection's, kept as stored (empty values do not overwrite them).
  const installation: InstallationRef = {
    vcs: "gitlab",
    externalId: delivery.installationExternalId,
    accountLogin: "",
    accountType: "",
  };
  return normalizeGitlabEvent(hook, payload, installation);
}

/**
 * A Merge Request Hook lacks the base sha and (unless the author acted) the author's username: the
 * merge request is read once through the API, which also gives its current head, draft and fork state.
 */
async function completeEvent(event: VcsEvent, context: EventContext): Promise<VcsEvent> {
  if (event.type !== "pull_request") return event;
  const provider = await context.providerFor(event.installation, event.repo.owner, event.repo.name);
  if (event.action !== "closed") {
    // A token that was refused or expires soon is said on the MR (first: the calls below may fail for it).
    const { noteTokenTrouble } = await import("./token-notes.ts");
    await noteTokenTrouble(context.database, provider, event);
  }
  const current = await provider.getPullRequest(event.pullRequest.number);
  // A close or merge keeps the hook's state: the API may already show a later reopen.
  return { ...event, pullRequest: { ...current, state: event.pullRequest.state } };
}

/** The webhook on both of its paths, connecting a group or project (admin), and the CI files; mounted before /api/v1. */
function mountRoutes(app: Hono, deps: AppDeps): void {
  const intake = createGitlabIntakeState(deps);
  app.route("/api/v1/gitlab", createGitlabWebhookRoutes(intake));
  app.route("/api/v1/gitlab", createGitlabInstallationRoutes(deps));
  app.route("/api/gitlab/v1", createGitlabWebhookRoutes(intake));
  app.route("/api/gitlab/v1", createCiFileRoutes());
}

export const gitlabPlatform: VcsPlatform = {
  vcs: "gitlab",
  title: "GitLab",
  words: {
    changeRequest: "merge request",
    changeRequestShort: "MR",
    reference: (number) => `!${number}`,
    ciRun: "pipeline",
    runnerSetup: "the pipeline includes the Terragate component (or runs `terragate run`)",
  },
  limits: {
    comment: gitlabNoteLimit,
    /** Commit status descriptions are 255-character strings; the rest goes to the MR note. */
    statusSummary: gitlabStatusTextLimit,
    statusText: gitlabStatusTextLimit,
    statusesPerManifest: gitlabStatusesPerRunCap,
    statusKind: "commit_status",
  },
  links: {
    webUrl: gitlabWebUrl,
    // A self-managed GitLab connected with --url is its installation's instance, not GITLAB_URL.
    async instanceUrl(deps, installationId) {
      const stored = await gitlabInstanceUrl(deps.database.db, installationId);
      return (stored ?? deps.config.GITLAB_URL).replace(/\/+$/, "");
    },
    // A GitLab run's id is its pipeline's.
    ciRunUrl: (config, repoFullName, runId) => `${gitlabWebUrl(config)}/${repoFullName}/-/pipelines/${runId}`,
    runLink: (publicUrl, manifestId) => `${publicUrl}/api/gitlab/v1/runs/${manifestId}`,
  },
  dispatch: {
    workflowFile: ".gitlab-ci.yml",
    workflowPath: ".gitlab-ci.yml",
    runTitle: (manifestId) => `terragate ${manifestId}`,
    snippet: gitlabCiSnippet,
  },
  runnerAuth: {
    // GitLab signs id_tokens with its own keys and names itself (its external URL) as the issuer.
    oidc(config, webUrl) {
      return {
        issuer: webUrl,
        jwksUrl: `${webUrl}/oauth/discovery/keys`,
        audience: config.publicUrl,
        setupHint: `check the job's \`id_tokens\` has TERRAGATE_ID_TOKEN with the audience \`aud: ${config.publicUrl}\` (the Terragate component's server_url) and that the project is on ${webUrl}`,
      };
    },
    identity: gitlabRunnerIdentity,
  },
  mountRoutes,
  normalizeEvent,
  completeEvent,
  createProviderSource(deps) {
    // gitbeaker loads with the first provider, not with every server.
    let source: Promise<ProviderSource> | undefined;
    return {
      async providerFor(installation, owner, repo) {
        source ??= import("./provider-source.ts").then(({ createGitlabProviderSource }) =>
          createGitlabProviderSource(deps),
        );
        return (await source).providerFor(installation, owner, repo);
      },
    };
  },
  createSignIn(deps) {
    const { GITLAB_CLIENT_ID: clientId, GITLAB_CLIENT_SECRET: clientSecret, GITLAB_URL: url } = deps.config;
    if (clientId === undefined || clientSecret === undefined) return async () => null;
    // gitbeaker loads with the first sign-in, not with every server.
    let provider: Promise<OAuthProvider> | undefined;
    return () => {
      provider ??= import("./oauth.ts").then(({ createGitlabOAuth }) =>
        createGitlabOAuth({ clientId, clientSecret, url }),
      );
      return provider;
    };
  },
  createServerApp: () => null,
};
