// The credentials a run can start with: the CI's OIDC token when it can mint one, then the work token.
import type { RunnerConfig } from "../config/env.ts";
import { ciPlatforms } from "../vcs/ci.ts";
import type { RunManifestOptions } from "./run-manifest.ts";

export function runnerCredentials(config: RunnerConfig): RunManifestOptions["credentials"] {
  const credentials: RunManifestOptions["credentials"] = [];
  const oidcToken = ciPlatforms[config.vcs].oidcToken(config);
  if (oidcToken) credentials.push({ kind: "oidc", token: oidcToken });
  const { workToken } = config;
  if (workToken) credentials.push({ kind: "work-token", token: async () => workToken });
  return credentials;
}
