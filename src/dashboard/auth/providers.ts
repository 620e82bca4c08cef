// Which sign-ins this server offers: one per VCS platform, built from the configuration.
import type { Logger } from "pino";
import type { Config } from "../../config/env.ts";
import type { DatabaseClient } from "../../db/client.ts";
import type { OAuthProvider } from "../../vcs/oauth.ts";
import { platformList } from "../../vcs/registry.ts";
import type { Vcs } from "../../vcs/types.ts";

export interface ProviderDeps {
  config: Config;
  database: DatabaseClient;
  logger: Logger;
  encryptionKey: Buffer;
}

export type ProviderResolver = (vcs: Vcs) => Promise<OAuthProvider | null>;

/** Each VCS's sign-in, as its platform builds it (GitHub's client may appear later through /setup). */
export function createProviderResolver(deps: ProviderDeps): ProviderResolver {
  const signIns = Object.fromEntries(
    platformList.map((platform) => [platform.vcs, platform.createSignIn(deps)]),
  ) as Record<Vcs, () => Promise<OAuthProvider | null>>;
  return (vcs) => signIns[vcs]();
}
