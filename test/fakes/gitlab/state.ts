// The fake GitLab's world: users and tokens, groups, projects with commits, merge requests, notes, statuses, pipelines, hooks.
import { createHash } from "node:crypto";

export interface FakeUser {
  id: number;
  username: string;
  bot: boolean;
}

export interface FakeToken {
  id: number;
  userId: number;
  name: string;
  scopes: string[];
  active: boolean;
  revoked: boolean;
  expiresAt: string | null;
}

export interface FakeHook {
  id: number;
  url: string;
  token: string | undefined;
  events: Record<string, boolean>;
  pushEventsBranchFilter: string | undefined;
  enableSslVerification: boolean;
}

export interface FakeGroup {
  id: number;
  fullPath: string;
  /** userId → access level (10 guest … 50 owner). */
  members: Map<number, number>;
  hooks: FakeHook[];
}

export interface FakeNote {
  id: number;
  body: string;
  authorId: number;
  system: boolean;
  createdAt: string;
  awards: Array<{ id: number; name: string; userId: number }>;
}

export interface FakeMergeRequest {
  iid: number;
  authorId: number;
  sourceBranch: string;
  targetBranch: string;
  sourceProjectId: number;
  state: "opened" | "closed" | "merged" | "locked";
  draft: boolean;
  title: string;
  baseSha: string;
  headSha: string;
  detailedMergeStatus: string;
  hasConflicts: boolean;
  notes: FakeNote[];
  approvals: Array<{ userId: number; approvedAt: string }>;
  /** Approval rules (GitLab Premium); undefined answers approval_state with 404, as GitLab Free does. */
  approvalRules?: Array<{ name: string; approvalsRequired: number; eligible: string[] }>;
  versions: Array<{ id: number; headSha: string; createdAt: string }>;
  /** GitLab lists at most this many diffs of the MR (its diff limits); more changes overflow. */
  diffLimit: number;
  mergedWith?: { sha: string | undefined; squash: boolean; removeSourceBranch: boolean };
}

export interface FakeStatus {
  id: number;
  /** Who posted it. */
  authorId: number;
  sha: string;
  name: string;
  status: string;
  targetUrl: string | null;
  description: string | null;
  allowFailure: boolean;
  createdAt: string;
}

export interface FakePipeline {
  id: number;
  sha: string;
  ref: string;
  status: string;
  source: string;
  inputs: Record<string, unknown> | undefined;
  variables: Array<{ key: string; value: string }> | undefined;
  yamlErrors: string | null;
  /** `workflow:name`, as the project's CI config names the pipeline. */
  name?: string;
  createdAt?: string;
}

export interface FakeProject {
  id: number;
  path: string;
  defaultBranch: string;
  visibility: "private" | "internal" | "public";
  branches: Map<string, string>;
  members: Map<number, number>;
  hooks: FakeHook[];
  mergeRequests: Map<number, FakeMergeRequest>;
  statuses: FakeStatus[];
  pipelines: FakePipeline[];
  /** Whether the default branch's .gitlab-ci.yml declares Terragate's spec:inputs. */
  declaresInputs: boolean;
  /** ci_pipeline_variables_minimum_override_role: "no_one_allowed" refuses pipeline variables. */
  pipelineVariablesRole: "no_one_allowed" | "developer" | "maintainer" | "owner";
  /** The CI config names Terragate's pipelines `terragate <manifest id>` (workflow:name). */
  namesPipelines?: boolean;
}

export interface FakeFailure {
  method: string;
  pathPattern: RegExp;
  status: number;
  times: number;
  retryAfter?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  status: number;
  body: unknown;
}

export class FakeGitlabState {
  users = new Map<string, FakeUser>();
  tokens = new Map<string, FakeToken>();
  groups = new Map<string, FakeGroup>();
  projects = new Map<number, FakeProject>();
  commits = new Map<string, Record<string, string>>();
  failures: FakeFailure[] = [];
  requests: RecordedRequest[] = [];
  private nextId = 100;

  id(): number {
    this.nextId += 1;
    return this.nextId;
  }

  addUser(username: string, options: { bot?: boolean } = {}): FakeUser {
    const user = { id: this.id(), username, bot: options.bot ?? false };
    this.users.set(username, user);
    return user;
  }

  user(username: string): FakeUser {
    const user = this.users.get(username);
    if (!user) throw new Error(`fake GitLab has no user ${username}`);
    return user;
  }

  userById(id: number): FakeUser | undefined {
    return [...this.users.values()].find((user) => user.id === id);
  }

  /** A token for `username` (default: a group access token's bot with the api scope). */
  addToken(
    token: string,
    username: string,
    options: Partial<Omit<FakeToken, "id" | "userId">> = {},
  ): FakeToken {
    const record: FakeToken = {
      id: this.id(),
      userId: this.user(username).id,
      name: options.name ?? "terragate",
      scopes: options.scopes ?? ["api"],
      active: options.active ?? true,
      revoked: options.revoked ?? false,
      expiresAt: options.expiresAt ?? null,
    };
    this.tokens.set(token, record);
    return record;
  }

  addGroup(fullPath: string): FakeGroup {
    const group = { id: this.id(), fullPath, members: new Map<number, number>(), hooks: [] };
    this.groups.set(fullPath, group);
    return group;
  }

  addProject(
    path: string,
    options: { defaultBranch?: string; files?: Record<string, string> } = {},
  ): FakeProject {
    const project: FakeProject = {
      id: this.id(),
      path,
      defaultBranch: options.defaultBranch ?? "main",
      visibility: "private",
      branches: new Map(),
      members: new Map(),
      hooks: [],
      mergeRequests: new Map(),
      statuses: [],
      pipelines: [],
      declaresInputs: true,
      pipelineVariablesRole: "no_one_allowed",
    };
    this.projects.set(project.id, project);
    this.commit(project, project.defaultBranch, options.files ?? { "main.tf": "" });
    return project;
  }

  project(idOrPath: string | number): FakeProject | undefined {
    const key = String(idOrPath);
    if (/^\d+$/.test(key)) return this.projects.get(Number(key));
    return [...this.projects.values()].find((project) => project.path === key);
  }

  group(idOrPath: string | number): FakeGroup | undefined {
    const key = String(idOrPath);
    if (/^\d+$/.test(key)) return [...this.groups.values()].find((group) => group.id === Number(key));
    return this.groups.get(key);
  }

  /** Stores the tree as a commit on `branch` and returns its sha. */
  commit(project: FakeProject, branch: string, files: Record<string, string>): string {
    const sha = createHash("sha1")
      .update(`${project.id}:${branch}:${JSON.stringify(files)}:${this.commits.size}`)
      .digest("hex");
    this.commits.set(sha, { ...files });
    project.branches.set(branch, sha);
    return sha;
  }

  /** The tree at a sha or branch name of a project. */
  tree(project: FakeProject, ref: string): Record<string, string> | undefined {
    return this.commits.get(project.branches.get(ref) ?? ref);
  }

  openMergeRequest(
    project: FakeProject,
    options: { iid: number; author: string; sourceBranch: string; draft?: boolean; diffLimit?: number },
  ): FakeMergeRequest {
    const headSha = project.branches.get(options.sourceBranch);
    const baseSha = project.branches.get(project.defaultBranch);
    if (!headSha || !baseSha) throw new Error("commit the source branch before opening the merge request");
    const mergeRequest: FakeMergeRequest = {
      iid: options.iid,
      authorId: this.user(options.author).id,
      sourceBranch: options.sourceBranch,
      targetBranch: project.defaultBranch,
      sourceProjectId: project.id,
      state: "opened",
      draft: options.draft ?? false,
      title: `Change ${options.sourceBranch}`,
      baseSha,
      headSha,
      detailedMergeStatus: "mergeable",
      hasConflicts: false,
      notes: [],
      approvals: [],
      versions: [{ id: this.id(), headSha, createdAt: new Date(Date.now() - 60_000).toISOString() }],
      diffLimit: options.diffLimit ?? 1000,
    };
    project.mergeRequests.set(mergeRequest.iid, mergeRequest);
    return mergeRequest;
  }

  /** Pushes a new head to the MR's source branch: a new MR version. */
  push(
    project: FakeProject,
    mergeRequest: FakeMergeRequest,
    files: Record<string, string>,
    at = new Date(),
  ): string {
    const sha = this.commit(project, mergeRequest.sourceBranch, files);
    mergeRequest.headSha = sha;
    mergeRequest.versions.unshift({ id: this.id(), headSha: sha, createdAt: at.toISOString() });
    return sha;
  }

  /** Paths that differ between the MR's base and head trees. */
  changedPaths(mergeRequest: FakeMergeRequest): string[] {
    const base = this.commits.get(mergeRequest.baseSha) ?? {};
    const head = this.commits.get(mergeRequest.headSha) ?? {};
    const paths = new Set<string>();
    for (const [path, content] of Object.entries(head)) if (base[path] !== content) paths.add(path);
    for (const path of Object.keys(base)) if (!(path in head)) paths.add(path);
    return [...paths].sort();
  }

  approve(mergeRequest: FakeMergeRequest, username: string, at = new Date()): void {
    mergeRequest.approvals.push({ userId: this.user(username).id, approvedAt: at.toISOString() });
  }

  addNote(mergeRequest: FakeMergeRequest, username: string, body: string): FakeNote {
    const note = {
      id: this.id(),
      body,
      authorId: this.user(username).id,
      system: false,
      createdAt: new Date().toISOString(),
      awards: [],
    };
    mergeRequest.notes.push(note);
    return note;
  }

  /** The access level of a user in a project: its own membership or an ancestor group's, the highest. */
  projectAccess(project: FakeProject, userId: number): number | undefined {
    return highest([
      project.members.get(userId),
      ...this.ancestorGroups(project.path).map((group) => group.members.get(userId)),
    ]);
  }

  groupAccess(group: FakeGroup, userId: number): number | undefined {
    return highest([
      ...this.ancestorGroups(`${group.fullPath}/x`).map((ancestor) => ancestor.members.get(userId)),
    ]);
  }

  private ancestorGroups(path: string): FakeGroup[] {
    const segments = path.split("/");
    const groups: FakeGroup[] = [];
    for (let end = segments.length - 1; end >= 1; end -= 1) {
      const group = this.groups.get(segments.slice(0, end).join("/"));
      if (group) groups.push(group);
    }
    return groups;
  }

  fail(failure: FakeFailure): void {
    this.failures.push(failure);
  }
}

function highest(levels: Array<number | undefined>): number | undefined {
  const defined = levels.filter((level): level is number => level !== undefined);
  return defined.length === 0 ? undefined : Math.max(...defined);
}
