// GitHub Actions as the runner sees it: the OIDC token request and the pull request refs.
import type { RunnerConfig } from "../../config/env.ts";
import type { CiPlatform } from "../ci.ts";

/** Asks GitHub Actions for an OIDC token with the given audience (needs `permissions: id-token: write`). */
export async function requestActionsOidcToken(
  requestUrl: string,
  requestToken: string,
  audience: string,
): Promise<string> {
  const url = new URL(requestUrl);
  url.searchParams.set("audience", audience);
  const response = await fetch(url, { headers: { authorization: `bearer ${requestToken}` } });
  if (!response.ok) {
    throw new Error(
      `GitHub Actions refused an OIDC token (HTTP ${response.status}); check \`id-token: write\``,
    );
  }
  const body = (await response.json()) as { value?: unknown };
  if (typeof body.value !== "string") throw new Error("GitHub Actions answered without an OIDC token");
  return body.value;
}

export const githubCi: CiPlatform = {
  vcs: "github",
  pullRequestRef: (number) => `refs/pull/${number}/head`,
  oidcToken(config: RunnerConfig) {
    const { oidc } = config;
    if (!oidc) return undefined;
    return () => requestActionsOidcToken(oidc.requestUrl, oidc.requestToken, config.apiUrl);
  },
};
