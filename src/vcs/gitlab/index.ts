// The GitLab platform as far as it is wired: webhook intake and connecting, runner auth, links, limits,
// words and sign-in. Events and providers answer "not yet" until the GitLab adapter is registered here
// (issue 11); then this file is the only place that changes for jobs, the evaluator, the renderer and
// the runner endpoints to use it.
import type { Hono } from "hono";
import type { AppDeps } from "../../api/app.ts";
import { createGitlabInstallationRoutes } from "../../api/gitlab/installation-routes.ts";
import { createGitlabIntakeState, createGitlabWebhookRoutes } from "../../api/gitlab/webhook-routes.ts";
import type { Config } from "../../config/env.ts";
import type { OAuthProvider } from "../oauth.ts";
import type { VcsPlatform } from "../platform.ts";
import { UnsupportedEventError, VcsError } from "../types.ts";
import { gitlabRunnerIdentity } from "./runner-identity.ts";

function gitlabWebUrl(config: Config): string {
  return config.GITLAB_URL.replace(/\/+$/, "");
}

const notYet = "GitLab merge requests are not evaluated yet: deliveries are stored, runs are not started";

/** The webhook on both of its paths, and connecting a group or project (admin); mounted before /api/v1. */
function mountRoutes(app: Hono, deps: AppDeps): void {
  const intake = createGitlabIntakeState(deps);
  app.route("/api/v1/gitlab", createGitlabWebhookRoutes(intake));
  app.route("/api/v1/gitlab", createGitlabInstallationRoutes(deps));
  app.route("/api/gitlab/v1", createGitlabWebhookRoutes(intake));
}

export const gitlabPlatform: VcsPlatform = {
  vcs: "gitlab",
  title: "GitLab",
  words: {
    changeRequest: "merge request",
    changeRequestShort: "MR",
    reference: (number) => `!${number}`,
  },
  limits: {
    /** A note body may hold at most 1,000,000 characters. */
    comment: 1_000_000,
    /** Commit status descriptions are 255-character strings; the rest goes to the MR note. */
    statusSummary: 255,
    statusText: 255,
    statusesPerManifest: 50,
    statusKind: "commit_status",
  },
  links: {
    webUrl: gitlabWebUrl,
    ciRunUrl: (config, repoFullName, runId) => `${gitlabWebUrl(config)}/${repoFullName}/-/jobs/${runId}`,
    runLink: (publicUrl, manifestId) => `${publicUrl}/api/gitlab/v1/runs/${manifestId}`,
  },
  dispatch: {
    workflowFile: ".gitlab-ci.yml",
    workflowPath: ".gitlab-ci.yml",
    runTitle: (manifestId) => `terragate ${manifestId}`,
  },
  runnerAuth: {
    oidc(config) {
      const issuer = gitlabWebUrl(config);
      return { issuer, jwksUrl: `${issuer}/oauth/discovery/keys`, audience: config.publicUrl };
    },
    identity: gitlabRunnerIdentity,
  },
  mountRoutes,
  normalizeEvent() {
    throw new UnsupportedEventError(notYet);
  },
  createProviderSource: () => ({
    providerFor: async () => {
      throw new VcsError(notYet, "invalid", null);
    },
  }),
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
