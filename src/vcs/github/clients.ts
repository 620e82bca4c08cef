// Builds probot octokits (app auth → installation token, retry, throttling) and providers per installation.
import type { Logger } from "pino";
import { ProbotOctokit } from "probot";
import { withSpan } from "../../tracing/tracing.ts";
import type { VcsProvider } from "../types.ts";
import type { GithubAppCredentials } from "./credentials.ts";
import { TreeListingCache } from "./git-trees.ts";
import { createGithubProvider, type GithubOctokit } from "./provider.ts";
import { createRequestPacing } from "./request-pacing.ts";

export interface GithubClients {
  /** An octokit acting as the installation (installation token fetched and cached on demand). */
  octokitFor(installationId: string): GithubOctokit;
  /** A provider for one repository of one installation. */
  providerFor(installationId: string, owner: string, repo: string): VcsProvider;
}

export interface GithubClientsOptions {
  credentials: GithubAppCredentials;
  /** REST API base URL: https://api.github.com, GHES `…/api/v3`, or a fake in tests. */
  apiUrl: string;
  logger: Logger;
  /** A failed call's n-th retry waits n² times this (default 1 s: 1, 4, 9 s); tests make it short. */
  retryBaseMs?: number;
}

/**
 * Rate limits that lift within this many seconds are waited out in place; longer ones fail the call
 * (VcsError "rate_limited"), so the job is retried later instead of holding a worker slot for up to an hour.
 */
const maxInlineWaitSeconds = 60;

/** A bounded map: installation tokens for at most `limit` installations. */
function tokenCache(limit = 1_000) {
  const entries = new Map<string, string>();
  return {
    get: (key: string) => entries.get(key),
    set: (key: string, value: string) => {
      entries.delete(key);
      entries.set(key, value);
      if (entries.size > limit) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
    },
  };
}

/**
 * One per process (or per test); holds the token cache and the request pacing shared by the
 * octokits it builds. Each event still gets its own octokit and provider.
 */
export function createGithubClients(options: GithubClientsOptions): GithubClients {
  const cache = tokenCache();
  const log = options.logger.child({ name: "github" });
  // Retries and rate limits by our own hook, not probot's retry and throttling plugins (same rules,
  // without their per-call timer waits; see request-pacing.ts). As before, writes are not spaced:
  // a PR with many dirspaces must not wait a second per check run (probot's default pacing).
  const pacing = createRequestPacing({
    ...(options.retryBaseMs === undefined ? {} : { retryBaseMs: options.retryBaseMs }),
    onRateLimit: (retryAfter, request, retryCount) => {
      log.warn({ retryAfter, retryCount }, `GitHub rate limit on ${request.method} ${request.url}`);
      return retryCount < 2 && retryAfter <= maxInlineWaitSeconds;
    },
    onSecondaryRateLimit: (retryAfter, request, retryCount) => {
      log.warn({ retryAfter, retryCount }, `GitHub secondary rate limit on ${request.method} ${request.url}`);
      return retryCount < 2 && retryAfter <= maxInlineWaitSeconds;
    },
  });
  // Git objects never change: tree listings are shared by every provider of the process.
  const treeCache = new TreeListingCache();

  function octokitFor(installationId: string): GithubOctokit {
    const octokit = new ProbotOctokit({
      baseUrl: options.apiUrl,
      auth: {
        appId: options.credentials.appId,
        privateKey: options.credentials.privateKey,
        installationId: Number(installationId),
        cache,
      },
      log: {
        debug: (message: string) => log.debug(message),
        info: (message: string) => log.info(message),
        warn: (message: string) => log.warn(message),
        error: (message: string) => log.error(message),
      },
      throttle: { enabled: false },
      retry: { enabled: false },
    });
    const paced = pacing.pacerFor(`installation-${installationId}`);
    octokit.hook.wrap("request", (request, requestOptions) =>
      paced(requestOptions, async () => request(requestOptions)),
    );
    // Outermost hook: one span per API call, its retries and rate-limit waits included.
    octokit.hook.wrap("request", (request, requestOptions) =>
      withSpan(
        // A route template ("/repos/{owner}/{repo}/…"); pagination follows full URLs, named by path.
        `GitHub ${requestOptions.method} ${requestOptions.url.startsWith("http") ? new URL(requestOptions.url).pathname : requestOptions.url}`,
        {
          "http.request.method": requestOptions.method,
          "url.template": requestOptions.url,
          "vcs.name": "github",
        },
        async (span) => {
          const response = await request(requestOptions);
          span.setAttribute("http.response.status_code", response.status);
          return response;
        },
        { kind: "client" },
      ),
    );
    return octokit;
  }

  return {
    octokitFor,
    providerFor: (installationId, owner, repo) =>
      createGithubProvider(
        octokitFor(installationId),
        owner,
        repo,
        { appId: String(options.credentials.appId) },
        treeCache,
      ),
  };
}
