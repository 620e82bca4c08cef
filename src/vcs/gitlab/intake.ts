// What webhook intake needs from a GitLab hook before storing it: is it one Terragate acts on, which project, which MR.

import { mergeRequestAction } from "./normalize-event.ts";
import { HookRouting, isGitlabHookName } from "./webhook-schema.ts";

export type GitlabIntake =
  | { handled: false; reason: string }
  | {
      handled: true;
      projectId: number;
      projectPath: string;
      /** The merge request the event belongs to (its events are evaluated in order), or null. */
      mergeRequestIid: number | null;
      /** Stored as the delivery's action (MR action, note action, pipeline or job status). */
      action: string | null;
    };

/** A pipeline that ended; Terragate creates its pipelines through the API (source "api"). */
const finishedPipelineStatuses = new Set(["success", "failed", "canceled", "skipped"]);
/** A job that died; a successful job reported its results itself. */
const deadJobStatuses = new Set(["failed", "canceled"]);

function ignored(reason: string): GitlabIntake {
  return { handled: false, reason };
}

/** Decides from the hook's routing fields alone (no API call, nothing stored) whether to keep it. */
export function gitlabIntake(hook: string, payload: unknown): GitlabIntake {
  if (!isGitlabHookName(hook)) return ignored(`"${hook}" is not an event Terragate handles`);
  const parsed = HookRouting.safeParse(payload);
  if (!parsed.success) return ignored("the payload is not shaped like a GitLab hook");
  const routing = parsed.data;
  const projectId = routing.project?.id ?? routing.project_id;
  const projectPath = routing.project?.path_with_namespace;
  if (projectId === undefined || projectPath === undefined) return ignored("the payload names no project");
  const attributes = routing.object_attributes;
  const accept = (mergeRequestIid: number | null, action: string | null): GitlabIntake => ({
    handled: true,
    projectId,
    projectPath,
    mergeRequestIid,
    action,
  });
  switch (hook) {
    case "Merge Request Hook": {
      if (!attributes?.iid) return ignored("the merge request has no iid");
      const action = mergeRequestAction({ object_attributes: attributes, changes: routing.changes });
      return action === null
        ? ignored(`merge request action "${attributes.action ?? ""}" is not acted on`)
        : accept(attributes.iid, action);
    }
    case "Note Hook": {
      const iid = routing.merge_request?.iid;
      if (attributes?.noteable_type !== "MergeRequest" || iid === undefined)
        return ignored("not a note on a merge request");
      if (attributes.system) return ignored("system note");
      if (attributes.action && attributes.action !== "create")
        return ignored(`note action "${attributes.action}"`);
      return accept(iid, "create");
    }
    case "Pipeline Hook": {
      const status = attributes?.status ?? "";
      if (!finishedPipelineStatuses.has(status)) return ignored(`pipeline status "${status}"`);
      const source = attributes?.source;
      if (typeof source === "string" && source !== "api") return ignored(`pipeline source "${source}"`);
      return accept(null, status);
    }
    case "Job Hook": {
      const status = routing.build_status ?? "";
      return deadJobStatuses.has(status) ? accept(null, status) : ignored(`job status "${status}"`);
    }
    case "Push Hook": {
      const defaultBranch = (payload as { project?: { default_branch?: unknown } }).project?.default_branch;
      if (typeof defaultBranch !== "string" || routing.ref !== `refs/heads/${defaultBranch}`) {
        return ignored("push to a branch other than the default branch");
      }
      if (/^0+$/.test(routing.after ?? "")) return ignored("the default branch was deleted");
      return accept(null, "push");
    }
    default: {
      const never: never = hook;
      return ignored(`unhandled hook ${String(never)}`);
    }
  }
}
