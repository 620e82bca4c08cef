// Whether a GitLab CI id_token proves its bearer runs for the work manifest's project.
import type { DispatchedRun, RunnerIdentity } from "../platform.ts";

/** GitLab id_tokens: the project must match. TODO(issue 11): bind GitLab tokens to the created pipeline. */
export function gitlabRunnerIdentity(claims: Record<string, unknown>, run: DispatchedRun): RunnerIdentity {
  const projectId = claims["project_id"];
  if (typeof projectId !== "string" && typeof projectId !== "number") {
    return { runId: null, problems: ["the OIDC token carries no project_id claim"] };
  }
  return String(projectId) === run.repositoryId
    ? { runId: null, problems: [] }
    : {
        runId: null,
        problems: [`the token is for project ${projectId}, but the work manifest belongs to ${run.fullName}`],
      };
}
