// Whether a GitLab CI id_token proves its bearer is a job of the very pipeline Terragate created for a manifest.
import { z } from "zod";
import type { DispatchedRun, RunnerIdentity } from "../platform.ts";

/** GitLab sends ids as strings (older versions as numbers) and ref_protected as "true"/"false". */
const id = z.union([z.string(), z.number()]).transform(String);
const GitlabJobClaims = z.object({
  iss: z.string(),
  project_id: id,
  pipeline_id: id,
  ci_config_ref_uri: z.string(),
  ref_protected: z.union([z.string(), z.boolean()]).transform((value) => String(value) === "true"),
});

/**
 * The CI file that may run manifests: the project's own, on its default branch, as GitLab writes it
 * (`host/group/project//.gitlab-ci.yml@refs/heads/main`). Project paths are case-insensitive on GitLab.
 */
function configOnDefaultBranch(uri: string, issuer: string, run: DispatchedRun): boolean {
  const host = URL.canParse(issuer) ? new URL(issuer).host.toLowerCase() : "";
  const separator = uri.indexOf("//");
  const at = uri.lastIndexOf("@");
  if (separator < 0 || at < separator) return false;
  return (
    uri.slice(0, separator).toLowerCase() === `${host}/${run.fullName}`.toLowerCase() &&
    uri.slice(at) === `@refs/heads/${run.defaultBranch}`
  );
}

/**
 * Checks a verified id_token's claims against the pipeline Terragate created: the project, that very
 * pipeline, the project's CI configuration from its default branch, and a protected ref (what GitLab
 * guards with its own rules, so a branch anyone may push to cannot mint tokens that pass).
 */
export function gitlabRunnerIdentity(claims: Record<string, unknown>, run: DispatchedRun): RunnerIdentity {
  const parsed = GitlabJobClaims.safeParse(claims);
  if (!parsed.success) {
    const missing = parsed.error.issues.map((issue) => issue.path.join(".")).join(", ");
    return {
      runId: null,
      problems: [`the id_token is not a GitLab CI job token (claims missing or malformed: ${missing})`],
    };
  }
  const token = parsed.data;
  const problems: string[] = [];
  if (token.project_id !== run.repositoryId) {
    problems.push(
      `the token is for project ${token.project_id}, but the work manifest belongs to ${run.fullName} (${run.repositoryId})`,
    );
  }
  // While the dispatch is being recorded (no pipeline id yet) the manifest is still queued: initiate answers 503.
  if (run.runId !== null && token.pipeline_id !== run.runId) {
    problems.push(
      `the token is from pipeline ${token.pipeline_id}, but Terragate created pipeline ${run.runId}`,
    );
  }
  if (!configOnDefaultBranch(token.ci_config_ref_uri, token.iss, run)) {
    problems.push(
      `the token's ci_config_ref_uri is ${token.ci_config_ref_uri}; only ${run.fullName}'s own CI configuration on ${run.defaultBranch} may run work manifests`,
    );
  }
  if (!token.ref_protected) {
    problems.push(
      "the token is from an unprotected ref; run Terragate's pipelines on the protected default branch",
    );
  }
  return { runId: token.pipeline_id, problems };
}
