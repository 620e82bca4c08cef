// Links shown with results: the CI run (from the platform's link builders) and the REST endpoint with the full outputs.
import type { Config } from "../config/env.ts";
import type { VcsPlatform } from "../vcs/platform.ts";

/** The CI run's page: the stored URL when dispatch learned it, else built from the run id. */
export function ciRunUrl(
  config: Config,
  platform: Pick<VcsPlatform, "links">,
  repoFullName: string,
  runUrl: string | null,
  runId: string | null,
): string | null {
  if (runUrl) return runUrl;
  if (!runId || !/^\d+$/.test(runId)) return null;
  return platform.links.ciRunUrl(config, repoFullName, runId);
}

export function outputsUrl(
  config: Config,
  platform: Pick<VcsPlatform, "vcs">,
  installationExternalId: string,
  manifestId: string,
): string {
  return `${config.publicUrl}/api/v1/${platform.vcs}/installations/${encodeURIComponent(installationExternalId)}/work-manifests/${manifestId}/outputs`;
}
