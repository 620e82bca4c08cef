// GitHub's web addresses: github.com or a GitHub Enterprise Server host.
import type { Config } from "../../config/env.ts";

/** github.com, or the GHES host's web UI. */
export function githubWebUrl(config: Config): string {
  return config.GHE_HOST ? `${config.GHE_PROTOCOL}://${config.GHE_HOST}` : "https://github.com";
}
