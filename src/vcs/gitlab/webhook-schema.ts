// Zod schemas of the GitLab webhook payload fields Terragate reads (Merge Request, Note, Pipeline, Job, Push hooks).
import { z } from "zod";

/** The `X-Gitlab-Event` header values Terragate acts on. */
export const gitlabHookNames = [
  "Merge Request Hook",
  "Note Hook",
  "Pipeline Hook",
  "Job Hook",
  "Push Hook",
] as const;
export type GitlabHookName = (typeof gitlabHookNames)[number];

export function isGitlabHookName(value: string): value is GitlabHookName {
  return (gitlabHookNames as readonly string[]).includes(value);
}

export const HookUser = z.looseObject({ id: z.number().optional(), username: z.string() });

/** `project` as GitLab embeds it in hooks (visibility 0 private, 10 internal, 20 public). */
export const HookProject = z.looseObject({
  id: z.number(),
  path_with_namespace: z.string().min(1),
  default_branch: z.string().nullish(),
  web_url: z.string().nullish(),
  visibility_level: z.number().nullish(),
});
export type HookProject = z.infer<typeof HookProject>;

export const HookMergeRequest = z.looseObject({
  iid: z.number(),
  target_branch: z.string(),
  source_branch: z.string(),
  source_project_id: z.number().nullish(),
  target_project_id: z.number().nullish(),
  /** The head's project; null when a fork was deleted. */
  source: z.looseObject({ path_with_namespace: z.string() }).nullish(),
  author_id: z.number().nullish(),
  title: z.string().default(""),
  state: z.string(),
  draft: z.boolean().nullish(),
  work_in_progress: z.boolean().nullish(),
  last_commit: z.looseObject({ id: z.string() }).nullish(),
  detailed_merge_status: z.string().nullish(),
  url: z.string().nullish(),
});
export type HookMergeRequest = z.infer<typeof HookMergeRequest>;

const Change = <T extends z.ZodType>(value: T) =>
  z.looseObject({ previous: value.nullish(), current: value.nullish() }).optional();

export const MergeRequestHook = z.looseObject({
  object_kind: z.literal("merge_request"),
  user: HookUser,
  project: HookProject,
  object_attributes: HookMergeRequest.extend({
    action: z.string().nullish(),
    /** Present only when the source branch got new commits. */
    oldrev: z.string().nullish(),
  }),
  changes: z.looseObject({ draft: Change(z.boolean()), work_in_progress: Change(z.boolean()) }).nullish(),
});
export type MergeRequestHook = z.infer<typeof MergeRequestHook>;

export const NoteHook = z.looseObject({
  object_kind: z.literal("note"),
  user: HookUser,
  project: HookProject,
  object_attributes: z.looseObject({
    id: z.number(),
    note: z.string().default(""),
    noteable_type: z.string(),
    system: z.boolean().nullish(),
    /** `create` or `update` (GitLab 16.11+); older GitLab sends notes only when created. */
    action: z.string().nullish(),
  }),
  merge_request: HookMergeRequest.optional(),
});
export type NoteHook = z.infer<typeof NoteHook>;

export const PipelineHook = z.looseObject({
  object_kind: z.literal("pipeline"),
  project: HookProject,
  object_attributes: z.looseObject({
    id: z.number(),
    ref: z.string().nullish(),
    sha: z.string(),
    status: z.string(),
    source: z.string().nullish(),
    name: z.string().nullish(),
    url: z.string().nullish(),
  }),
});
export type PipelineHook = z.infer<typeof PipelineHook>;

export const JobHook = z.looseObject({
  object_kind: z.literal("build"),
  sha: z.string(),
  build_id: z.number(),
  build_name: z.string(),
  build_status: z.string(),
  pipeline_id: z.number(),
  project_id: z.number(),
  project: HookProject,
});
export type JobHook = z.infer<typeof JobHook>;

export const PushHook = z.looseObject({
  object_kind: z.literal("push"),
  before: z.string(),
  after: z.string(),
  ref: z.string(),
  user_username: z.string().nullish(),
  project: HookProject,
});
export type PushHook = z.infer<typeof PushHook>;

/** The few fields intake needs before storing: which project (and so which installation) and which MR. */
export const HookRouting = z.looseObject({
  object_kind: z.string().optional(),
  project: z.looseObject({ id: z.number(), path_with_namespace: z.string() }).optional(),
  project_id: z.number().optional(),
  object_attributes: z
    .looseObject({
      iid: z.number().optional(),
      action: z.string().nullish(),
      oldrev: z.string().nullish(),
      noteable_type: z.string().optional(),
      system: z.boolean().nullish(),
      status: z.string().optional(),
      /** A pipeline's source ("api", "push", …); on a merge request it is the source project. */
      source: z.unknown().optional(),
    })
    .optional(),
  changes: z
    .looseObject({ draft: z.unknown().optional(), work_in_progress: z.unknown().optional() })
    .nullish(),
  merge_request: z.looseObject({ iid: z.number() }).optional(),
  build_status: z.string().optional(),
  ref: z.string().optional(),
  after: z.string().optional(),
});
export type HookRouting = z.infer<typeof HookRouting>;
