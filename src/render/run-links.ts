// Links shown with results: the VCS's web URL, the CI run, and the REST endpoint with the full outputs.
import type { Config } from "../config/env.ts";
import type { Vcs } from "../db/schema/index.ts";

/** The VCS's web base URL (GitHub.com, GHES, or a GitLab instance). */
export function vcsWebUrl(config: Config, vcs: Vcs): string {
  if (vcs === "gitlab") return config.GITLAB_URL.replace(/\/+$/, "");
  if (config.GHE_HOST) return `${config.GHE_PROTOCOL}://${config.GHE_HOST}`;
  return "https://github.com";
}

/** The CI run's page: the stored URL when dispatch learned it, else built from the run id. */
export function ciRunUrl(
  config: Config,
  vcs: Vcs,
  repoFullName: string,
  runUrl: string | null,
  runId: string | null,
): string | null {
  if (runUrl) return runUrl;
  if (!runId || !/^\d+$/.test(runId)) return null;
  return vcs === "github"
    ? `${vcsWebUrl(config, vcs)}/${repoFullName}/actions/runs/${runId}`
    : `${vcsWebUrl(config, vcs)}/${repoFullName}/-/jobs/${runId}`;
}

export function outputsUrl(
  config: Config,
  vcs: Vcs,
  installationExternalId: string,
  manifestId: string,
): string {
  return `${config.publicUrl}/api/v1/${vcs}/installations/${encodeURIComponent(installationExternalId)}/work-manifests/${manifestId}/outputs`;
}
