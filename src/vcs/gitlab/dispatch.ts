// Dispatch on GitLab: a pipeline on the default branch carrying the work manifest as inputs, else as variables.
import { z } from "zod";
import {
  VcsError,
  type WorkflowDispatch,
  type WorkflowDispatchResult,
  type WorkflowRunInfo,
  type WorkflowRunQuery,
} from "../types.ts";
import { ApiPipeline } from "./api-schema.ts";
import { type GitlabClient, gitlabMessage, parseAnswer } from "./client.ts";

/** Dispatch input → the pipeline input declared in .gitlab-ci.yml's `spec:inputs` and the fallback variable. */
export const pipelineParameters: Record<string, { input: string; variable: string }> = {
  "work-manifest-id": { input: "terragate_work_manifest_id", variable: "TERRAGATE_WORK_MANIFEST_ID" },
  "api-base-url": { input: "terragate_api_url", variable: "TERRAGATE_API_URL" },
  "work-token": { input: "terragate_work_token", variable: "TERRAGATE_WORK_TOKEN" },
};

/** What to change when GitLab refuses both inputs and variables. */
export const pipelineVariablesSetting =
  "Settings → CI/CD → Variables → Minimum role to use pipeline variables (ci_pipeline_variables_minimum_override_role)";

function parametersFor(dispatch: WorkflowDispatch) {
  const inputs: Record<string, string> = {};
  const variables: Array<{ key: string; value: string; variable_type: "env_var" }> = [];
  for (const [name, value] of Object.entries(dispatch.inputs)) {
    const parameter = pipelineParameters[name];
    if (!parameter)
      throw new VcsError(`dispatch input "${name}" has no GitLab pipeline input`, "invalid", null);
    inputs[parameter.input] = value;
    variables.push({ key: parameter.variable, value, variable_type: "env_var" });
  }
  return { inputs, variables };
}

function isInputsRefusal(error: unknown): boolean {
  return error instanceof VcsError && error.status === 400 && /\binputs?\b/i.test(gitlabMessage(error));
}

function isMissingConfig(error: unknown): boolean {
  return (
    error instanceof VcsError &&
    error.status === 400 &&
    /missing ci config|no stages \/ jobs/i.test(gitlabMessage(error))
  );
}

function isVariablesRefusal(error: unknown): boolean {
  return (
    error instanceof VcsError &&
    (error.status === 400 || error.status === 403) &&
    /permission.*variables|variables.*permission/i.test(gitlabMessage(error))
  );
}

async function createPipeline(client: GitlabClient, projectId: string, ref: string, body: object) {
  const pipeline = await client.call(`create a pipeline on ${ref}`, (api) =>
    api.pipelines.create(projectId, ref, body as never),
  );
  return parseAnswer(ApiPipeline, pipeline, `pipeline on ${ref}`);
}

/**
 * Creates the pipeline with `inputs` (GitLab's spec:inputs, which work where pipeline variables are
 * restricted, the default for new projects); a project whose .gitlab-ci.yml declares no such inputs
 * gets the same values as variables. When GitLab refuses those too, the error names the setting.
 */
export async function dispatchPipeline(
  client: GitlabClient,
  projectId: string,
  projectPath: string,
  dispatch: WorkflowDispatch,
): Promise<WorkflowDispatchResult> {
  const { inputs, variables } = parametersFor(dispatch);
  try {
    const pipeline = await createPipeline(client, projectId, dispatch.ref, { inputs });
    return { runId: String(pipeline.id), runUrl: pipeline.web_url ?? null };
  } catch (inputsError) {
    if (isMissingConfig(inputsError)) {
      throw new VcsError(
        `${projectPath} has no .gitlab-ci.yml on ${dispatch.ref}; add one that includes the Terragate component (see the README)`,
        "not_found",
        400,
        { cause: inputsError },
      );
    }
    if (!isInputsRefusal(inputsError)) throw inputsError;
    try {
      const pipeline = await createPipeline(client, projectId, dispatch.ref, { variables });
      return { runId: String(pipeline.id), runUrl: pipeline.web_url ?? null };
    } catch (variablesError) {
      if (!isVariablesRefusal(variablesError)) throw variablesError;
      throw new VcsError(
        `GitLab refused the Terragate pipeline on ${projectPath}@${dispatch.ref}: its .gitlab-ci.yml declares no ` +
          `spec:inputs ${Object.values(pipelineParameters)
            .map((parameter) => parameter.input)
            .join(", ")} (${gitlabMessage(inputsError)}), and pipeline variables are not allowed ` +
          `(${gitlabMessage(variablesError)}). Add the inputs to .gitlab-ci.yml as the README shows, or let ` +
          `Developers set pipeline variables in ${pipelineVariablesSetting}.`,
        "forbidden",
        (variablesError as VcsError).status,
        { cause: variablesError },
      );
    }
  }
}

/**
 * Pipelines Terragate's API created on `ref` since `createdAfter` whose name (GitLab's
 * `workflow:name`) is the dispatch's title, newest first: finds a pipeline whose creation answer
 * was lost. One page of 100 is enough for the few minutes a dispatch retry looks back.
 */
export async function findPipelines(
  client: GitlabClient,
  projectId: string,
  query: WorkflowRunQuery,
): Promise<WorkflowRunInfo[]> {
  const pipelines = parseAnswer(
    z.array(ApiPipeline),
    await client.call(`list the pipelines on ${query.ref}`, (api) =>
      api.pipelines.all(projectId, {
        ref: query.ref,
        source: "api",
        updatedAfter: query.createdAfter.toISOString(),
        orderBy: "id",
        sort: "desc",
        perPage: 100,
        maxPages: 1,
      } as never),
    ),
    `pipelines on ${query.ref}`,
  );
  return pipelines
    .filter((pipeline) => pipeline.name === query.title && pipeline.created_at)
    .map((pipeline) => ({
      runId: String(pipeline.id),
      runUrl: pipeline.web_url ?? null,
      createdAt: new Date(pipeline.created_at as string),
    }))
    .filter((run) => run.createdAt.getTime() >= query.createdAfter.getTime())
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
}
