// The GitHub App's name for the status page: known from the setup flow, else asked of GitHub (GET /app) and cached.
import type { GithubAppCredentials } from "./credentials.ts";

export type AppName = { name: string } | { unavailable: string };

const knownForMs = 10 * 60 * 1000;
const failureForMs = 60 * 1000;
const lookupTimeoutMs = 3_000;

/** A per-process cache: the status page never waits on GitHub more than once every minute or ten. */
export function createAppNameLookup(apiUrl: string) {
  let cached: { appId: string; value: AppName; until: number } | undefined;
  return async (credentials: GithubAppCredentials): Promise<AppName> => {
    if (credentials.slug !== null) return { name: credentials.slug };
    if (cached && cached.appId === credentials.appId && Date.now() < cached.until) return cached.value;
    let value: AppName;
    try {
      // probot loads only when a status page needs the app's name, not with every server.
      const { ProbotOctokit } = await import("probot");
      const octokit = new ProbotOctokit({
        baseUrl: apiUrl,
        auth: { appId: credentials.appId, privateKey: credentials.privateKey },
        retry: { enabled: false },
        throttle: { enabled: false },
      });
      const { data } = await octokit.request("GET /app", {
        request: { signal: AbortSignal.timeout(lookupTimeoutMs) },
      });
      value = { name: data?.slug ?? data?.name ?? `app ${credentials.appId}` };
    } catch (error) {
      const status = (error as { status?: number }).status;
      value = { unavailable: status ? `GitHub answered ${status}` : "GitHub did not answer" };
    }
    cached = {
      appId: credentials.appId,
      value,
      until: Date.now() + ("name" in value ? knownForMs : failureForMs),
    };
    return value;
  };
}
