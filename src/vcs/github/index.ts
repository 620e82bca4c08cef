// The GitHub platform: what the registry hands to jobs, the evaluator, the renderer and the runner endpoints.
import type { Hono } from "hono";
import type { AppDeps } from "../../api/app.ts";
import { mountLazily } from "../../api/lazy-routes.ts";
import type { VcsPlatform } from "../platform.ts";
import { createAppNameLookup } from "./app-name.ts";
import { loadGithubCredentials } from "./credentials.ts";
import { dispatchedRunTitle, workflowFile } from "./dispatched-workflow.ts";
import { githubLimits } from "./limits.ts";
import { githubWebUrl } from "./links.ts";
import { normalizeGithubEvent } from "./normalize-event.ts";
import { createGithubProviderSource } from "./provider-source.ts";
import { githubRunnerIdentity } from "./runner-identity.ts";
import { createGithubSignIn } from "./sign-in.ts";
import { createGithubWebhookRoutes } from "./webhook-routes.ts";
import { workflowSnippet } from "./workflow-snippet.ts";

function mountRoutes(app: Hono, deps: AppDeps): void {
  app.route("/api/github/v1", createGithubWebhookRoutes(deps));
  // The setup page loads its code on first use: most processes never serve it.
  mountLazily(app, "/setup", async () => (await import("./setup/setup-routes.ts")).createSetupRoutes(deps));
}

export const githubPlatform: VcsPlatform = {
  vcs: "github",
  title: "GitHub",
  words: {
    changeRequest: "pull request",
    changeRequestShort: "PR",
    reference: (number) => `#${number}`,
    ciRun: "CI run",
    runnerSetup: "the workflow runs the Terragate action",
  },
  limits: {
    comment: githubLimits.comment,
    statusSummary: githubLimits.checkRunSummary,
    statusText: githubLimits.checkRunText,
    statusesPerManifest: githubLimits.checkRunsPerManifest,
    statusKind: "check_run",
  },
  links: {
    webUrl: githubWebUrl,
    instanceUrl: async (deps) => githubWebUrl(deps.config),
    ciRunUrl: (config, repoFullName, runId) =>
      `${githubWebUrl(config)}/${repoFullName}/actions/runs/${runId}`,
    runLink: (publicUrl, manifestId) => `${publicUrl}/api/github/v1/runs/${manifestId}`,
  },
  dispatch: {
    workflowFile,
    workflowPath: `.github/workflows/${workflowFile}`,
    runTitle: dispatchedRunTitle,
    snippet: workflowSnippet,
  },
  runnerAuth: {
    oidc(config) {
      const issuer = config.githubOidcIssuer;
      return {
        issuer,
        jwksUrl: config.GITHUB_OIDC_JWKS_URL ?? `${issuer}/.well-known/jwks`,
        audience: config.publicUrl,
      };
    },
    identity: githubRunnerIdentity,
  },
  mountRoutes,
  normalizeEvent: (event, payload) => normalizeGithubEvent(event, payload),
  // GitHub's payloads carry everything the evaluator reads.
  completeEvent: async (event) => event,
  createProviderSource: (deps) => {
    const source = createGithubProviderSource(deps);
    return {
      providerFor: (installation, owner, repo) => source.providerFor(installation.externalId, owner, repo),
    };
  },
  createSignIn: createGithubSignIn,
  createServerApp(deps) {
    const appName = createAppNameLookup(deps.config.githubApiUrl);
    return {
      configured: async () => (await loadGithubCredentials(deps)) !== null,
      async status() {
        const credentials = await loadGithubCredentials(deps);
        if (!credentials) return null;
        const name = await appName(credentials);
        return {
          id: credentials.appId,
          name: "name" in name ? name.name : null,
          source: credentials.source,
          ...("unavailable" in name ? { note: name.unavailable } : {}),
        };
      },
    };
  },
};
