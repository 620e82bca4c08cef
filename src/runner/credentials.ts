// The credentials a run can start with: the CI's OIDC token when it can mint one, then the work token.
import type { RunnerConfig } from "../config/env.ts";
import type { RunManifestOptions } from "./run-manifest.ts";

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

export function runnerCredentials(config: RunnerConfig): RunManifestOptions["credentials"] {
  const credentials: RunManifestOptions["credentials"] = [];
  const { oidc, workToken } = config;
  if (oidc) {
    credentials.push({
      kind: "oidc",
      token: () => requestActionsOidcToken(oidc.requestUrl, oidc.requestToken, config.apiUrl),
    });
  }
  if (workToken) credentials.push({ kind: "work-token", token: async () => workToken });
  return credentials;
}
