// The GitLab VcsProvider: one project's calls through gitbeaker, answers mapped to Terragate's types.
import { z } from "zod";
import type { MergeResult, PullRequestInfo, RepoRole, Review, VcsProvider } from "../types.ts";
import { VcsError } from "../types.ts";
import { roleForAccessLevel } from "./access-levels.ts";
import {
  ApiApprovals,
  ApiDiffVersion,
  ApiMember,
  ApiMergeRequest,
  ApiNamespace,
  ApiNote,
  ApiUser,
} from "./api-schema.ts";
import { listMergeRequestFiles, treeBlobs } from "./changed-files.ts";
import { type GitlabClient, isNotFound, parseAnswer } from "./client.ts";
import { createCommitStatus, listStatusChecks, updateCommitStatus } from "./commit-statuses.ts";
import { dispatchPipeline, findPipelines } from "./dispatch.ts";
import { formatNoteId, parseNoteId } from "./ids.ts";
import { clip, gitlabNoteLimit } from "./limits.ts";
import { mergeableFromStatus } from "./normalize-event.ts";
import { createProjectCalls } from "./project-calls.ts";

export interface GitlabProviderOptions {
  client: GitlabClient;
  /** The project's numeric id (the repository's external id). */
  projectId: string;
  /** `group/subgroup/project`. */
  projectPath: string;
  /** The installation's bot user (the access token's user): only its notes are edited. */
  botUserId: number;
}

/** GitHub's reaction names → GitLab award emoji names. */
const emojiNames = {
  eyes: "eyes",
  "+1": "thumbsup",
  "-1": "thumbsdown",
  rocket: "rocket",
  confused: "confused",
} as const;

export function pullRequestFromApi(
  mergeRequest: ApiMergeRequest,
  headRepository: PullRequestInfo["headRepository"],
): PullRequestInfo {
  const refs = mergeRequest.diff_refs;
  return {
    number: mergeRequest.iid,
    state: mergeRequest.state === "merged" ? "merged" : mergeRequest.state === "opened" ? "open" : "closed",
    draft: mergeRequest.draft ?? mergeRequest.work_in_progress ?? false,
    title: mergeRequest.title,
    author: mergeRequest.author.username,
    baseRef: mergeRequest.target_branch,
    baseSha: refs?.start_sha ?? refs?.base_sha ?? "",
    headRef: mergeRequest.source_branch,
    headSha: mergeRequest.sha ?? refs?.head_sha ?? "",
    mergeable: mergeableFromStatus(
      mergeRequest.detailed_merge_status ?? "unchecked",
      mergeRequest.has_conflicts ?? false,
    ),
    headRepository,
    fromFork: headRepository === null || headRepository.externalId !== String(mergeRequest.target_project_id),
  };
}

/** The head commit an approval was given on: the newest MR version created at or before it. */
export function approvedCommit(
  approvedAt: string | null | undefined,
  versions: Array<{ head_commit_sha: string; created_at: string }>,
): string | null {
  if (!approvedAt) return null;
  const at = Date.parse(approvedAt);
  let best: { sha: string; at: number } | null = null;
  for (const version of versions) {
    const created = Date.parse(version.created_at);
    if (created <= at && (best === null || created > best.at))
      best = { sha: version.head_commit_sha, at: created };
  }
  return best?.sha ?? null;
}

export function createGitlabProvider(options: GitlabProviderOptions): VcsProvider {
  const { client, projectId, projectPath, botUserId } = options;

  async function getMergeRequest(iid: number) {
    const answer = await client.call(`get merge request !${iid} of ${projectPath}`, (api) =>
      api.mergeRequests.show(projectId, iid),
    );
    return parseAnswer(ApiMergeRequest, answer, `merge request !${iid}`);
  }

  async function userId(username: string): Promise<number | null> {
    const users = await client.call(`look up user ${username}`, (api) => api.users.all({ username }));
    return parseAnswer(z.array(ApiUser), users, `user ${username}`)[0]?.id ?? null;
  }

  async function accessLevel(kind: "project" | "group", id: string, user: number): Promise<number | null> {
    try {
      const member = await client.call(`read the membership of user ${user} in ${id}`, (api) =>
        kind === "project"
          ? api.projectMembers.show(id, user, { includeInherited: true })
          : api.groupMembers.show(id, user, { includeInherited: true }),
      );
      const parsed = parseAnswer(ApiMember, member, `member ${user} of ${id}`);
      return parsed.state && parsed.state !== "active" ? null : parsed.access_level;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /** The source project of an MR: this one, another (a fork, read for its path), or null when deleted. */
  async function headProject(
    sourceId: number | null | undefined,
  ): Promise<PullRequestInfo["headRepository"]> {
    if (sourceId == null) return null;
    if (String(sourceId) === projectId) return { externalId: projectId, fullName: projectPath };
    try {
      const fork = parseAnswer(
        ApiNamespace,
        await client.call(`read the source project ${sourceId}`, (api) => api.projects.show(sourceId)),
        `project ${sourceId}`,
      );
      return { externalId: String(sourceId), fullName: fork.path_with_namespace ?? String(sourceId) };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async function botNotes(iid: number) {
    const notes = await client.call(`list the notes of !${iid}`, (api) =>
      api.notes.all(projectId, iid, { perPage: 100, sort: "asc", orderBy: "created_at" } as never),
    );
    return parseAnswer(z.array(ApiNote), notes, `notes of !${iid}`).filter(
      (note) => note.author.id === botUserId && !note.system,
    );
  }

  async function createNote(iid: number, body: string) {
    const note = await client.call(`add a note to !${iid}`, (api) =>
      api.notes.create(projectId, iid, clip(body, gitlabNoteLimit)),
    );
    return { id: formatNoteId(iid, parseAnswer(ApiNote, note, `note on !${iid}`).id) };
  }

  return {
    vcs: "gitlab",
    repoFullName: projectPath,
    ...createProjectCalls(client, projectId, botUserId),

    async getFile(path, ref) {
      try {
        const content = await client.call(`read ${path}@${ref}`, (api) =>
          api.files.showRaw(projectId, path, ref),
        );
        return typeof content === "string" ? content : await (content as Blob).text();
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
    },

    listChangedFiles: (iid) => listMergeRequestFiles(client, projectId, iid),

    async listTree(sha) {
      return [...(await treeBlobs(client, projectId, sha)).keys()];
    },

    listTreeBlobs: (sha) => treeBlobs(client, projectId, sha),

    createCheckRun: (input) => createCommitStatus(client, projectId, input),
    updateCheckRun: (id, update) => updateCommitStatus(client, projectId, id, update),

    async upsertComment(iid, marker, body) {
      const text = body.includes(marker) ? body : `${marker}\n${body}`;
      const existing = (await botNotes(iid)).find((note) => note.body.includes(marker));
      if (!existing) return createNote(iid, text);
      await client.call(`edit note ${existing.id} of !${iid}`, (api) =>
        api.notes.edit(projectId, iid, existing.id, { body: clip(text, gitlabNoteLimit) }),
      );
      return { id: formatNoteId(iid, existing.id) };
    },

    createComment: (iid, body) => createNote(iid, body),

    async addReaction(commentId, reaction) {
      const { mergeRequestIid, noteId } = parseNoteId(commentId);
      try {
        await client.call(`award ${reaction} to note ${noteId}`, (api) =>
          api.noteEmojis.award(projectId, mergeRequestIid, noteId, emojiNames[reaction]),
        );
      } catch (error) {
        // GitLab answers 404 "Award Emoji Name has already been taken" for a second award of the same emoji.
        if (error instanceof VcsError && /already been taken/i.test(error.message)) return;
        throw error;
      }
    },

    async getPullRequest(iid) {
      const mergeRequest = await getMergeRequest(iid);
      return pullRequestFromApi(mergeRequest, await headProject(mergeRequest.source_project_id));
    },

    async listReviews(iid): Promise<Review[]> {
      const [approvals, versions] = await Promise.all([
        client.call(`read the approvals of !${iid}`, (api) =>
          api.approvals.showConfiguration(projectId, { mergerequestIId: iid }),
        ),
        client.call(`list the versions of !${iid}`, (api) =>
          api.mergeRequests.allDiffVersions(projectId, iid),
        ),
      ]);
      const parsedVersions = parseAnswer(z.array(ApiDiffVersion), versions, `versions of !${iid}`);
      return parseAnswer(ApiApprovals, approvals, `approvals of !${iid}`).approved_by.map((approval) => ({
        author: approval.user.username,
        state: "approved",
        submittedAt: approval.approved_at ?? null,
        commitSha: approvedCommit(approval.approved_at, parsedVersions),
      }));
    },

    listStatusChecks: (sha) => listStatusChecks(client, projectId, sha, botUserId),

    async getUserPermission(username): Promise<RepoRole> {
      const id = await userId(username);
      if (id === null) return "none";
      const level = await accessLevel("project", projectId, id);
      return level === null ? "none" : roleForAccessLevel(level);
    },

    async isTeamMember(teamPath, username) {
      const id = await userId(username);
      if (id === null) return false;
      // `team:` names a group or subgroup by its full path; a bare name is tried under the project's top-level group too.
      const topLevel = projectPath.split("/")[0];
      const candidates =
        teamPath.includes("/") || !topLevel ? [teamPath] : [teamPath, `${topLevel}/${teamPath}`];
      for (const group of candidates) {
        const level = await accessLevel("group", group, id);
        if (level !== null && roleForAccessLevel(level) !== "none") return true;
      }
      return false;
    },

    dispatchWorkflow: (dispatch) => dispatchPipeline(client, projectId, projectPath, dispatch),

    findWorkflowRuns: (query) => findPipelines(client, projectId, query),

    async mergePullRequest(iid, { strategy, deleteBranch, sha }): Promise<MergeResult> {
      try {
        await client.call(`merge !${iid}`, (api) =>
          api.mergeRequests.merge(projectId, iid, {
            // What was applied; GitLab refuses (409) if the source branch moved since.
            sha,
            squash: strategy === "squash",
            shouldRemoveSourceBranch: deleteBranch,
          }),
        );
        return { merged: true, message: `merged !${iid}` };
      } catch (error) {
        if (error instanceof VcsError && [405, 406, 409, 422].includes(error.status ?? 0)) {
          return { merged: false, message: error.message };
        }
        throw error;
      }
    },
  };
}
