// Whether a GitHub Actions OIDC token proves its bearer is the very run Terragate dispatched for a manifest.
import { z } from "zod";
import type { DispatchedRun, RunnerIdentity } from "../platform.ts";
import { workflowFile } from "./dispatched-workflow.ts";

export type { DispatchedRun, RunnerIdentity };

/** The claims read from a GitHub Actions OIDC token; GitHub sends ids as strings. */
const ActionsClaims = z.object({
  repository_id: z.union([z.string(), z.number()]).transform(String),
  run_id: z.union([z.string(), z.number()]).transform(String),
  event_name: z.string(),
  workflow_ref: z.string().optional(),
  job_workflow_ref: z.string().optional(),
});

/** `OWNER/REPO/.github/workflows/terragate.yml@refs/heads/DEFAULT`, the only workflow allowed to run a manifest. */
export function expectedWorkflowRef(run: Pick<DispatchedRun, "fullName" | "defaultBranch">): string {
  return `${run.fullName}/.github/workflows/${workflowFile}@refs/heads/${run.defaultBranch}`;
}

function sameWorkflowRef(actual: string, expected: string): boolean {
  // Owner and repository names are case-insensitive on GitHub; the path and the ref are not.
  const split = (ref: string) => {
    const at = ref.indexOf("/.github/");
    return at < 0 ? [ref, ""] : [ref.slice(0, at).toLowerCase(), ref.slice(at)];
  };
  const [actualRepo, actualRest] = split(actual);
  const [expectedRepo, expectedRest] = split(expected);
  return actualRepo === expectedRepo && actualRest === expectedRest;
}

/**
 * Checks a verified token's claims against the dispatched run: same repository, the dispatched run id,
 * a workflow_dispatch event, and the default branch's terragate.yml as both the triggered workflow
 * (`workflow_ref`) and the workflow of the job (`job_workflow_ref`), when the token carries them.
 * A job of a reusable workflow is refused: the action must run in terragate.yml itself.
 */
export function githubRunnerIdentity(claims: Record<string, unknown>, run: DispatchedRun): RunnerIdentity {
  const parsed = ActionsClaims.safeParse(claims);
  if (!parsed.success) {
    const missing = parsed.error.issues.map((issue) => issue.path.join(".")).join(", ");
    return {
      runId: null,
      problems: [`the OIDC token is not a GitHub Actions token (claims missing or malformed: ${missing})`],
    };
  }
  const token = parsed.data;
  const problems: string[] = [];
  if (token.repository_id !== run.repositoryId) {
    problems.push(
      `the token is for repository id ${token.repository_id}, but the work manifest belongs to ${run.fullName} (${run.repositoryId})`,
    );
  }
  if (run.runId !== null && token.run_id !== run.runId) {
    problems.push(`the token is from run ${token.run_id}, but Terragate dispatched run ${run.runId}`);
  }
  if (token.event_name !== "workflow_dispatch") {
    problems.push(
      `the token is from a ${token.event_name} event; only the workflow_dispatch Terragate sends may start a run`,
    );
  }
  const expected = expectedWorkflowRef(run);
  const refs = [
    ["workflow_ref", token.workflow_ref],
    ["job_workflow_ref", token.job_workflow_ref],
  ] as const;
  if (refs.every(([, value]) => value === undefined)) {
    problems.push("the token names no workflow (workflow_ref or job_workflow_ref)");
  }
  for (const [name, value] of refs) {
    if (value !== undefined && !sameWorkflowRef(value, expected)) {
      problems.push(`the token's ${name} is ${value}; only ${expected} may run work manifests`);
    }
  }
  return { runId: token.run_id, problems };
}
