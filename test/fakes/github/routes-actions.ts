// Fake GitHub Actions routes: workflow_dispatch (checked against the workflow's declared inputs) and run listings.
import { parse } from "yaml";
import {
  bodyOf,
  invalid,
  notFound,
  paginate,
  R,
  type Route,
  type Schemas,
  withRepo,
} from "./route-helpers.ts";
import type { FakeRepo, FakeWorkflowRun } from "./state.ts";

/** The `on.workflow_dispatch.inputs` of a workflow file, or undefined when it has no workflow_dispatch trigger. */
function dispatchInputs(text: string): Record<string, { required?: boolean }> | undefined {
  let file: unknown;
  try {
    file = parse(text);
  } catch {
    return undefined;
  }
  const on = (file as { on?: unknown } | null)?.on;
  if (on === "workflow_dispatch") return {};
  if (Array.isArray(on)) return on.includes("workflow_dispatch") ? {} : undefined;
  if (typeof on !== "object" || on === null || !("workflow_dispatch" in on)) return undefined;
  const trigger = (on as Record<string, { inputs?: Record<string, { required?: boolean }> } | null>)[
    "workflow_dispatch"
  ];
  return trigger?.inputs ?? {};
}

function runJson(repo: FakeRepo, baseUrl: string, run: FakeWorkflowRun) {
  const body: Pick<
    Schemas["workflow-run"],
    | "id"
    | "name"
    | "display_title"
    | "event"
    | "head_branch"
    | "head_sha"
    | "path"
    | "run_number"
    | "status"
    | "created_at"
    | "updated_at"
    | "url"
    | "html_url"
  > = {
    id: run.id,
    name: run.workflowName,
    display_title: run.displayTitle,
    event: run.event,
    head_branch: run.headBranch,
    head_sha: run.headSha,
    path: run.path,
    run_number: run.runNumber,
    status: "queued",
    created_at: run.createdAt,
    updated_at: run.createdAt,
    url: `${baseUrl}/repos/${repo.owner}/${repo.name}/actions/runs/${run.id}`,
    html_url: `https://github.com/${repo.owner}/${repo.name}/actions/runs/${run.id}`,
  };
  return body;
}

export const actionsRoutes: Route[] = [
  {
    method: "POST",
    pattern: new RegExp(`^${R}/actions/workflows/([^/]+)/dispatches$`),
    handle: withRepo((repo, state, request) => {
      const workflow = request.params[2] ?? "";
      const body = bodyOf(request);
      const ref = String(body["ref"] ?? "");
      const files = state.filesAt(repo, ref);
      if (!files) return invalid(`No ref found for: ${ref}`);
      const text = files.get(`.github/workflows/${workflow}`);
      if (text === undefined) return notFound();
      const declared = dispatchInputs(text);
      if (!declared) return invalid("Workflow does not have 'workflow_dispatch' trigger");
      const inputs = (body["inputs"] ?? {}) as Record<string, string>;
      const unexpected = Object.keys(inputs).filter((name) => !(name in declared));
      if (unexpected.length > 0) return invalid(`Unexpected inputs provided: ${JSON.stringify(unexpected)}`);
      const missing = Object.entries(declared).find(([name, input]) => input?.required && !inputs[name]);
      if (missing) return invalid(`Required input '${missing[0]}' not provided`);
      const run = state.startWorkflowRun(`${repo.owner}/${repo.name}`, {
        workflow,
        branch: ref.replace(/^refs\/heads\//, ""),
        event: "workflow_dispatch",
        inputs,
      });
      const returnRunDetails = body["return_run_details"] === true;
      state.dispatches.push({
        repo: `${repo.owner}/${repo.name}`,
        workflow,
        ref,
        inputs,
        returnRunDetails,
        runId: run.id,
        at: Date.now(),
      });
      if (!returnRunDetails) return { status: 204 };
      const result: Schemas["workflow-dispatch-response"] = {
        workflow_run_id: run.id,
        run_url: `${request.baseUrl}/repos/${repo.owner}/${repo.name}/actions/runs/${run.id}`,
        html_url: `https://github.com/${repo.owner}/${repo.name}/actions/runs/${run.id}`,
      };
      return { status: 200, body: result };
    }),
  },
  {
    // Newest first; filters event, branch and `created=>=ISO` as GitHub's search syntax does.
    method: "GET",
    pattern: new RegExp(`^${R}/actions/workflows/([^/]+)/runs$`),
    handle: withRepo((repo, state, request) => {
      const path = `.github/workflows/${request.params[2] ?? ""}`;
      const event = request.query.get("event");
      const branch = request.query.get("branch");
      const created = /^>=(.+)$/.exec(request.query.get("created") ?? "")?.[1];
      const since = created === undefined ? undefined : Date.parse(created);
      const runs = state.workflowRuns
        .filter(
          (run) =>
            run.repo === `${repo.owner}/${repo.name}` &&
            run.path === path &&
            (!event || run.event === event) &&
            (!branch || run.headBranch === branch) &&
            (since === undefined || Date.parse(run.createdAt) >= since),
        )
        .reverse()
        .map((run) => runJson(repo, request.baseUrl, run));
      const { page, headers } = paginate(runs, request);
      return { status: 200, body: { total_count: runs.length, workflow_runs: page }, headers };
    }),
  },
];
