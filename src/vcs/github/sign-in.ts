// The dashboard's GitHub sign-in: the app's OAuth client, re-read every few seconds (the setup flow may store one).
import type { OAuthProvider } from "../oauth.ts";
import type { PlatformDeps } from "../platform.ts";
import { githubWebUrl } from "./links.ts";
import { loadGithubOAuthClient } from "./oauth-credentials.ts";

export function createGithubSignIn(deps: PlatformDeps, ttlMs = 5_000): () => Promise<OAuthProvider | null> {
  let cached: { provider: OAuthProvider | null; at: number } | undefined;
  return async () => {
    if (cached && Date.now() - cached.at < ttlMs) return cached.provider;
    const client = await loadGithubOAuthClient(deps);
    let provider: OAuthProvider | null = null;
    if (client) {
      // probot loads with the first sign-in client, not with every server.
      const { createGithubOAuth } = await import("./oauth.ts");
      provider = createGithubOAuth({
        clientId: client.clientId,
        clientSecret: client.clientSecret,
        webUrl: githubWebUrl(deps.config),
        apiUrl: deps.config.githubApiUrl,
        logger: deps.logger,
      });
    }
    cached = { provider, at: Date.now() };
    return provider;
  };
}
