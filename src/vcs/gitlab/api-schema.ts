// Zod schemas of the GitLab REST API response fields the provider and connect read.
import { z } from "zod";

export const ApiUser = z.looseObject({ id: z.number(), username: z.string() });

export const ApiMergeRequest = z.looseObject({
  iid: z.number(),
  state: z.string(),
  draft: z.boolean().nullish(),
  work_in_progress: z.boolean().nullish(),
  title: z.string().default(""),
  author: ApiUser,
  target_branch: z.string(),
  source_branch: z.string(),
  source_project_id: z.number().nullish(),
  target_project_id: z.number().nullish(),
  sha: z.string().nullish(),
  has_conflicts: z.boolean().nullish(),
  detailed_merge_status: z.string().nullish(),
  /** "12" or "1000+" when the diff is larger than GitLab will list. */
  changes_count: z.string().nullish(),
  diff_refs: z
    .looseObject({
      base_sha: z.string().nullish(),
      head_sha: z.string().nullish(),
      start_sha: z.string().nullish(),
    })
    .nullish(),
  web_url: z.string().nullish(),
});
export type ApiMergeRequest = z.infer<typeof ApiMergeRequest>;

export const ApiDiff = z.looseObject({
  old_path: z.string(),
  new_path: z.string(),
  renamed_file: z.boolean().nullish(),
});

export const ApiTreeEntry = z.looseObject({
  id: z.string(),
  path: z.string(),
  type: z.string(),
});

export const ApiNote = z.looseObject({
  id: z.number(),
  body: z.string().default(""),
  author: ApiUser,
  system: z.boolean().nullish(),
});

export const ApiApprovals = z.looseObject({
  approved_by: z.array(z.looseObject({ user: ApiUser, approved_at: z.string().nullish() })).default([]),
});

export const ApiApprovalState = z.looseObject({
  rules: z
    .array(
      z.looseObject({
        name: z.string(),
        approved: z.boolean().nullish(),
        approvals_required: z.number().nullish(),
      }),
    )
    .default([]),
});

export const ApiDiffVersion = z.looseObject({
  head_commit_sha: z.string(),
  created_at: z.string(),
});

export const ApiCommitStatus = z.looseObject({
  id: z.number(),
  name: z.string(),
  status: z.string(),
  allow_failure: z.boolean().nullish(),
  /** Who posted it (for a CI job, who ran the pipeline). */
  author: z.looseObject({ id: z.number() }).nullish(),
});

export const ApiPipeline = z.looseObject({
  id: z.number(),
  status: z.string(),
  sha: z.string().nullish(),
  web_url: z.string().nullish(),
  source: z.string().nullish(),
  /** `workflow:name` of the pipeline (GitLab 16.3+). */
  name: z.string().nullish(),
  created_at: z.string().nullish(),
  yaml_errors: z.string().nullish(),
});

export const ApiMember = z.looseObject({
  id: z.number(),
  access_level: z.number(),
  state: z.string().nullish(),
});

export const ApiAccessToken = z.looseObject({
  id: z.number(),
  name: z.string().nullish(),
  scopes: z.array(z.string()).default([]),
  active: z.boolean().default(true),
  revoked: z.boolean().default(false),
  expires_at: z.string().nullish(),
  user_id: z.number().nullish(),
});

export const ApiNamespace = z.looseObject({
  id: z.number(),
  full_path: z.string().optional(),
  path_with_namespace: z.string().optional(),
  web_url: z.string().nullish(),
  default_branch: z.string().nullish(),
});

export const ApiHook = z.looseObject({ id: z.number(), url: z.string() });
