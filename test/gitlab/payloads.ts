// GitLab webhook payloads shaped like the examples in GitLab's webhook documentation, typed with gitlab-event-types.
import type {
  BuildEvent,
  MergeRequestAttributes,
  MergeRequestEvent,
  NoteEvent,
  PipelineEvent,
  Project,
  PushEvent,
  User,
} from "gitlab-event-types";

export const projectId = 15;
export const projectPath = "acme/platform/infra";
export const groupPath = "acme";

// Fields GitLab sends today that gitlab-event-types does not declare yet.
type MergeRequestAttributesNow = MergeRequestAttributes & {
  draft: boolean;
  detailed_merge_status: string;
  oldrev?: string;
};
type MergeRequestEventNow = Omit<MergeRequestEvent, "object_attributes" | "project" | "changes"> & {
  event_type: "merge_request";
  project: Project & { id: number };
  object_attributes: MergeRequestAttributesNow;
  changes: Record<string, { previous: unknown; current: unknown }>;
};
type NoteEventNow = Omit<NoteEvent, "object_attributes" | "merge_request"> & {
  event_type: "note";
  object_attributes: NoteEvent["object_attributes"] & { action?: "create" | "update" };
  merge_request?: NonNullable<NoteEvent["merge_request"]> & { draft: boolean; detailed_merge_status: string };
};
type PipelineEventNow = Omit<PipelineEvent, "object_attributes"> & {
  object_attributes: PipelineEvent["object_attributes"] & {
    source: string;
    url: string;
    name: string | null;
  };
};
type BuildEventNow = BuildEvent & { pipeline_id: number; project: Project & { id: number } };
type PushEventNow = PushEvent & { event_name: "push" };

export function project(overrides: Partial<Project & { id: number }> = {}): Project & { id: number } {
  const path = overrides.path_with_namespace ?? projectPath;
  return {
    id: projectId,
    name: path.split("/").at(-1) ?? path,
    description: "",
    web_url: `http://gitlab.example.com/${path}`,
    avatar_url: "",
    git_ssh_url: `git@gitlab.example.com:${path}.git`,
    git_http_url: `http://gitlab.example.com/${path}.git`,
    namespace: "Platform",
    visibility_level: 0,
    path_with_namespace: path,
    default_branch: "main",
    homepage: `http://gitlab.example.com/${path}`,
    url: `git@gitlab.example.com:${path}.git`,
    ssh_url: `git@gitlab.example.com:${path}.git`,
    http_url: `http://gitlab.example.com/${path}.git`,
    ...overrides,
  };
}

export function user(username: string, id = 51): User {
  return {
    id,
    name: username,
    username,
    avatar_url: "http://www.gravatar.com/avatar/e64c7d89f26bd1972efa854d13d7dd61?s=40&d=identicon",
    email: "[REDACTED]",
  };
}

function repository(path = projectPath): MergeRequestEvent["repository"] {
  return {
    name: path.split("/").at(-1) ?? path,
    url: `git@gitlab.example.com:${path}.git`,
    description: "",
    homepage: `http://gitlab.example.com/${path}`,
  };
}

export interface MergeRequestOptions {
  action: "open" | "close" | "reopen" | "update" | "merge" | "approved" | "approval";
  iid?: number;
  state?: "opened" | "closed" | "merged" | "locked";
  draft?: boolean;
  author?: string;
  actor?: string;
  headSha?: string;
  oldrev?: string;
  changes?: MergeRequestEventNow["changes"];
  project?: Project & { id: number };
  /** The head's project when it is a fork; null for a deleted fork. */
  source?: (Project & { id: number }) | null;
}

export function mergeRequestHook(options: MergeRequestOptions): MergeRequestEventNow {
  const target = options.project ?? project();
  const author = user(options.author ?? "alice", 51);
  const actor =
    options.actor === undefined || options.actor === author.username ? author : user(options.actor, 77);
  const headSha = options.headSha ?? "da1560886d4f094c3e6c9ef40349f7d38b5d27d7";
  const attributes: MergeRequestAttributesNow = {
    id: 99,
    iid: options.iid ?? 1,
    target_branch: "main",
    source_branch: "feature",
    source_project_id:
      options.source === null ? (null as unknown as number) : (options.source?.id ?? target.id),
    author_id: author.id,
    title: "Add the VPC",
    created_at: "2013-12-03T17:23:34Z",
    updated_at: "2013-12-03T17:23:34Z",
    milestone_id: null,
    state:
      options.state ??
      (options.action === "merge" ? "merged" : options.action === "close" ? "closed" : "opened"),
    target_project_id: target.id,
    description: "",
    source: options.source === null ? (null as unknown as Project) : (options.source ?? target),
    target,
    last_commit: {
      id: headSha,
      message: "fixed readme",
      timestamp: "2012-01-03T23:36:29+02:00",
      url: `${target.web_url}/-/commit/${headSha}`,
      author: { name: "GitLab dev user", email: "gitlabdev@example.com" },
    },
    work_in_progress: options.draft ?? false,
    draft: options.draft ?? false,
    url: `${target.web_url}/-/merge_requests/${options.iid ?? 1}`,
    action: options.action,
    assignee: author,
    detailed_merge_status: "mergeable",
    ...(options.oldrev ? { oldrev: options.oldrev } : {}),
  };
  return {
    object_kind: "merge_request",
    event_type: "merge_request",
    user: actor,
    project: target,
    repository: repository(target.path_with_namespace),
    object_attributes: attributes,
    labels: [],
    changes: options.changes ?? {},
    assignees: [author],
    reviewers: [],
  };
}

export interface NoteOptions {
  body: string;
  iid?: number;
  noteId?: number;
  author?: string;
  authorId?: number;
  noteableType?: "MergeRequest" | "Issue" | "Commit" | "Snippet";
  action?: "create" | "update";
  system?: boolean;
  project?: Project & { id: number };
}

export function noteHook(options: NoteOptions): NoteEventNow {
  const target = options.project ?? project();
  const noteId = options.noteId ?? 1244;
  const iid = options.iid ?? 1;
  const noteableType = options.noteableType ?? "MergeRequest";
  const event: NoteEventNow = {
    object_kind: "note",
    event_type: "note",
    user: user(options.author ?? "alice", options.authorId ?? 51),
    project_id: target.id,
    project: target,
    repository: repository(target.path_with_namespace),
    object_attributes: {
      id: noteId,
      note: options.body,
      noteable_type: noteableType,
      author_id: options.authorId ?? 51,
      created_at: "2015-05-17 18:21:36 UTC",
      updated_at: "2015-05-17 18:21:36 UTC",
      project_id: target.id,
      attachment: null,
      line_code: "",
      commit_id: "",
      noteable_id: 7,
      system: options.system ?? false,
      st_diff: {
        diff: "",
        new_path: "",
        old_path: "",
        a_mode: "",
        b_mode: "",
        new_file: false,
        renamed_file: false,
        deleted_file: false,
      },
      url: `${target.web_url}/-/merge_requests/${iid}#note_${noteId}`,
      ...(options.action ? { action: options.action } : {}),
    },
  };
  if (noteableType === "MergeRequest") {
    const mergeRequest = mergeRequestHook({ action: "open", iid, project: target }).object_attributes;
    event.merge_request = {
      ...mergeRequest,
      position: 0,
      assignee_id: 51,
      milestone_id: 0,
      merge_status: "can_be_merged",
    };
  }
  return event;
}

export interface PipelineOptions {
  id?: number;
  status: string;
  source?: string;
  sha?: string;
  ref?: string;
  project?: Project & { id: number };
}

export function pipelineHook(options: PipelineOptions): PipelineEventNow {
  const target = options.project ?? project();
  const id = options.id ?? 31;
  const sha = options.sha ?? "bcbb5ec396a2c0f828686f14fac9b80b780504f2";
  return {
    object_kind: "pipeline",
    object_attributes: {
      id,
      ref: options.ref ?? "main",
      tag: false,
      sha,
      before_sha: sha,
      source: options.source ?? "api",
      status: options.status,
      stages: ["terragate"],
      created_at: "2016-08-12 15:23:28 UTC",
      finished_at: "2016-08-12 15:26:29 UTC",
      duration: 63,
      name: "Terragate",
      url: `${target.web_url}/-/pipelines/${id}`,
    },
    user: user("terragate-bot", 900),
    project: target,
    commit: {
      id: sha,
      message: "test\n",
      timestamp: "2016-08-12T17:23:21+02:00",
      url: `${target.web_url}/-/commit/${sha}`,
      author: { name: "User", email: "user@example.com" },
    },
    builds: [],
  };
}

export interface JobOptions {
  buildId?: number;
  pipelineId?: number;
  status: string;
  name?: string;
  project?: Project & { id: number };
}

export function jobHook(options: JobOptions): BuildEventNow {
  const target = options.project ?? project();
  const sha = "2293ada6b400935a1378653304eaf6221e0fdb8f";
  return {
    object_kind: "build",
    ref: "main",
    tag: false,
    before_sha: sha,
    sha,
    build_id: options.buildId ?? 1977,
    build_name: options.name ?? "terragate",
    build_stage: "terragate",
    build_status: options.status,
    build_started_at: "2021-02-23T02:41:37Z",
    build_finished_at: "2021-02-23T02:43:37Z",
    build_duration: 120,
    build_allow_failure: false,
    pipeline_id: options.pipelineId ?? 2366,
    project_id: target.id,
    project_name: target.path_with_namespace,
    user: user("terragate-bot", 900),
    commit: {
      id: sha,
      message: "test\n",
      timestamp: "2021-02-23T02:41:37Z",
      url: `${target.web_url}/-/commit/${sha}`,
      author: { name: "User", email: "user@example.com" },
    },
    repository: repository(target.path_with_namespace),
    project: target,
  };
}

export function pushHook(options: {
  ref?: string;
  before?: string;
  after?: string;
  project?: Project & { id: number };
}): PushEventNow {
  const target = options.project ?? project();
  return {
    object_kind: "push",
    event_name: "push",
    before: options.before ?? "95790bf891e76fee5e1747ab589903a6a1f80f22",
    after: options.after ?? "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
    ref: options.ref ?? "refs/heads/main",
    checkout_sha: options.after ?? "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
    user_id: 4,
    user_name: "John Smith",
    user_username: "jsmith",
    user_email: "",
    user_avatar: "",
    project_id: target.id,
    project: target,
    repository: repository(target.path_with_namespace),
    commits: [],
    total_commits_count: 0,
  };
}
