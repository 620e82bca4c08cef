// The GitHub App's OAuth client id and secret: GITHUB_CLIENT_ID/SECRET, else those the setup flow stored sealed.
import { desc } from "drizzle-orm";
import { unseal } from "../../crypto/seal.ts";
import { appCredentials } from "../../db/schema/index.ts";
import { appSecretsContext, type CredentialSources, SealedAppSecrets } from "./credentials.ts";

export interface GithubOAuthClient {
  clientId: string;
  clientSecret: string;
  source: "env" | "database";
}

/** The OAuth client, or null when neither the environment nor the setup flow provided one. */
export async function loadGithubOAuthClient(sources: CredentialSources): Promise<GithubOAuthClient | null> {
  const { config } = sources;
  if (config.GITHUB_CLIENT_ID !== undefined && config.GITHUB_CLIENT_SECRET !== undefined) {
    return { clientId: config.GITHUB_CLIENT_ID, clientSecret: config.GITHUB_CLIENT_SECRET, source: "env" };
  }
  // An app given by APP_ID is not the one the setup flow stored: its OAuth client must come from the environment.
  if (config.APP_ID !== undefined) return null;
  const [row] = await sources.database.db
    .select({
      appId: appCredentials.appId,
      clientId: appCredentials.clientId,
      sealed: appCredentials.secretsSealed,
    })
    .from(appCredentials)
    .orderBy(desc(appCredentials.createdAt))
    .limit(1);
  if (!row?.clientId) return null;
  try {
    const secrets = SealedAppSecrets.parse(
      JSON.parse(unseal(sources.encryptionKey, row.sealed, appSecretsContext(row.appId)).toString("utf8")),
    );
    return secrets.client_secret
      ? { clientId: row.clientId, clientSecret: secrets.client_secret, source: "database" }
      : null;
  } catch {
    // Unreadable with this encryption key: the app's own credentials report that loudly; sign-in is just off.
    return null;
  }
}
