// Where the GitHub App's id, private key and webhook secret come from: the environment, else the setup flow's sealed row.
import { readFile } from "node:fs/promises";
import { desc } from "drizzle-orm";
import { z } from "zod";
import type { Config } from "../../config/env.ts";
import { unseal } from "../../crypto/seal.ts";
import type { DatabaseClient } from "../../db/client.ts";
import { appCredentials } from "../../db/schema/index.ts";

export interface GithubAppCredentials {
  appId: string;
  privateKey: string;
  webhookSecret: string;
  /** Known when the app was created through the setup flow. */
  slug: string | null;
  source: "env" | "database";
}

/** The sealed JSON in app_credentials.secrets_sealed. */
export const SealedAppSecrets = z.object({
  pem: z.string().min(1),
  webhook_secret: z.string().min(1),
  client_secret: z.string().nullable().optional(),
});
export type SealedAppSecrets = z.infer<typeof SealedAppSecrets>;

export class GithubCredentialsError extends Error {
  override name = "GithubCredentialsError";
}

/** The sealing context binds a sealed secret to its app id, so rows cannot be swapped. */
export function appSecretsContext(appId: string): string {
  return `app_credentials:${appId}`;
}

export interface CredentialSources {
  config: Config;
  database: DatabaseClient;
  encryptionKey: Buffer;
}

/**
 * The app's credentials, or null when no app is configured yet (then `/setup` creates one).
 * The environment wins over the database so an operator can always override the setup flow.
 */
export async function loadGithubCredentials(
  sources: CredentialSources,
): Promise<GithubAppCredentials | null> {
  const { config } = sources;
  if (config.APP_ID !== undefined) {
    const privateKey = config.PRIVATE_KEY ?? (await readPrivateKeyFile(config.PRIVATE_KEY_PATH));
    if (config.WEBHOOK_SECRET === undefined) {
      throw new GithubCredentialsError("WEBHOOK_SECRET is required when APP_ID is set");
    }
    return {
      appId: config.APP_ID,
      privateKey: privateKey.replace(/\\n/g, "\n"),
      webhookSecret: config.WEBHOOK_SECRET,
      slug: null,
      source: "env",
    };
  }
  const [row] = await sources.database.db
    .select()
    .from(appCredentials)
    .orderBy(desc(appCredentials.createdAt))
    .limit(1);
  if (!row) return null;
  let secrets: SealedAppSecrets;
  try {
    const plain = unseal(sources.encryptionKey, row.secretsSealed, appSecretsContext(row.appId));
    secrets = SealedAppSecrets.parse(JSON.parse(plain.toString("utf8")));
  } catch (cause) {
    throw new GithubCredentialsError(
      `The GitHub App credentials stored by /setup (app ${row.appId}) cannot be read with the current TERRAGATE_ENCRYPTION_KEY; restore the key used at setup or set APP_ID, PRIVATE_KEY and WEBHOOK_SECRET`,
      { cause },
    );
  }
  return {
    appId: row.appId,
    privateKey: secrets.pem,
    webhookSecret: secrets.webhook_secret,
    slug: row.slug,
    source: "database",
  };
}

async function readPrivateKeyFile(path: string | undefined): Promise<string> {
  if (path === undefined) {
    throw new GithubCredentialsError("APP_ID is set but neither PRIVATE_KEY nor PRIVATE_KEY_PATH is");
  }
  try {
    return await readFile(path, "utf8");
  } catch (cause) {
    throw new GithubCredentialsError(
      `Cannot read the GitHub App private key at PRIVATE_KEY_PATH=${path}; download it from the app's settings page`,
      { cause },
    );
  }
}

/**
 * Caches loadGithubCredentials for a few seconds, so a request or job does not hit the database each
 * time, yet credentials saved by the setup flow are picked up without a restart.
 */
export function createCredentialsCache(sources: CredentialSources, ttlMs = 5_000) {
  let cached: { value: GithubAppCredentials | null; at: number } | undefined;
  return {
    async get(): Promise<GithubAppCredentials | null> {
      if (cached && Date.now() - cached.at < ttlMs) return cached.value;
      const value = await loadGithubCredentials(sources);
      cached = { value, at: Date.now() };
      return value;
    },
    invalidate(): void {
      cached = undefined;
    },
  };
}
