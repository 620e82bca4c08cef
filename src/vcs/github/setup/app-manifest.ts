// The GitHub App manifest the setup flow posts to GitHub; app.yml documents the same values.
import type { Config } from "../../../config/env.ts";
import { githubWebUrl } from "../links.ts";

export const appPermissions = {
  checks: "write",
  pull_requests: "write",
  issues: "write",
  contents: "write",
  actions: "write",
  statuses: "read",
  members: "read",
  metadata: "read",
} as const;

export const appEvents = [
  "pull_request",
  "issue_comment",
  "installation_repositories",
  "workflow_job",
  "workflow_run",
  "check_run",
  "push",
  "repository",
] as const;

/** The manifest GitHub turns into an app: webhooks to this server, back to /setup/callback afterwards. */
export function appManifest(config: Config, name: string) {
  return {
    name,
    url: config.publicUrl,
    description: "Terraform, OpenTofu and Terragrunt plans and applies for pull requests.",
    public: false,
    hook_attributes: { url: `${config.publicUrl}/api/github/v1/events`, active: true },
    redirect_url: `${config.publicUrl}/setup/callback`,
    // Dashboard sign-in ("Sign in with GitHub") returns here with the person's authorization code.
    callback_urls: [`${config.publicUrl}/api/v1/github/callback`],
    default_permissions: appPermissions,
    default_events: appEvents,
  };
}

export { githubWebUrl };

/** Where the manifest form posts: the user's settings, or an organization's. */
export function newAppUrl(config: Config, organization: string | undefined, state: string): string {
  const base = githubWebUrl(config);
  const path = organization
    ? `/organizations/${encodeURIComponent(organization)}/settings/apps/new`
    : "/settings/apps/new";
  return `${base}${path}?state=${encodeURIComponent(state)}`;
}
