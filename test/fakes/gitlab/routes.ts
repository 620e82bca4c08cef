// The fake GitLab's repository and merge request routes (files, tree, MRs, diffs, approvals, notes, emoji, merge).

import {
  badRequest,
  mergeRequestJson,
  noteJson,
  notFound,
  P,
  paginate,
  paginateKeyset,
  type Route,
  withMergeRequest,
  withProject,
} from "./route-helpers.ts";
import { ciRoutes } from "./routes-ci.ts";
import { issueRoutes } from "./routes-issues.ts";
import type { FakeRequest, FakeResponse } from "./server.ts";
import type { FakeGitlabState } from "./state.ts";

const MR = `${P}/merge_requests/(\\d+)`;

function rawFile(state: FakeGitlabState, request: FakeRequest): FakeResponse {
  return withProject((project) => {
    const ref = request.query.get("ref");
    if (!ref) return badRequest("ref is missing");
    const tree = state.tree(project, ref);
    const content = tree?.[request.params[1] ?? ""];
    return content === undefined ? notFound("File Not Found") : { status: 200, text: content };
  })(state, request);
}

function repositoryTree(state: FakeGitlabState, request: FakeRequest): FakeResponse {
  return withProject((project) => {
    const ref = request.query.get("ref") ?? project.defaultBranch;
    const tree = state.tree(project, ref);
    if (!tree) return notFound("Tree Not Found");
    const recursive = request.query.get("recursive") === "true";
    const blobs = Object.keys(tree)
      .filter((path) => recursive || !path.includes("/"))
      .sort()
      .map((path) => ({
        id: blobId(tree[path] ?? ""),
        name: path.split("/").at(-1),
        type: "blob",
        path,
        mode: "100644",
      }));
    const listing =
      request.query.get("pagination") === "keyset"
        ? paginateKeyset(blobs, request)
        : paginate(blobs, request);
    return { status: 200, body: listing.page, headers: listing.headers };
  })(state, request);
}

function blobId(content: string): string {
  let hash = 0;
  for (const char of content) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash.toString(16).padStart(40, "0");
}

/** GET /projects/:id/repository/commits/:sha — a branch name or a sha (the refresh reads the default branch's head). */
function commitAt(state: FakeGitlabState, request: FakeRequest): FakeResponse {
  return withProject((project) => {
    const ref = decodeURIComponent(request.params[1] ?? "");
    const sha = project.branches.get(ref) ?? (state.commits.has(ref) ? ref : undefined);
    if (!sha) return notFound("404 Commit Not Found");
    return {
      status: 200,
      body: { id: sha, short_id: sha.slice(0, 8), title: `commit ${sha.slice(0, 8)}`, parent_ids: [] },
    };
  })(state, request);
}

export const routes: Route[] = [
  { method: "GET", pattern: new RegExp(`^${P}/repository/commits/([^/]+)$`), handle: commitAt },
  { method: "GET", pattern: new RegExp(`^${P}/repository/files/([^/]+)/raw$`), handle: rawFile },
  { method: "GET", pattern: new RegExp(`^${P}/repository/tree$`), handle: repositoryTree },
  {
    method: "GET",
    pattern: new RegExp(`^${MR}$`),
    handle: withMergeRequest((mergeRequest, project, state, request) => ({
      status: 200,
      body: mergeRequestJson(state, project, mergeRequest, request.baseUrl),
    })),
  },
  {
    method: "GET",
    pattern: new RegExp(`^${MR}/diffs$`),
    handle: withMergeRequest((mergeRequest, _project, state, request) => {
      // Past its diff limits GitLab stores (and lists) only the first files of the diff.
      const paths = state.changedPaths(mergeRequest).slice(0, mergeRequest.diffLimit);
      const diffs = paths.map((path) => ({
        old_path: path,
        new_path: path,
        a_mode: "100644",
        b_mode: "100644",
        new_file: false,
        renamed_file: false,
        deleted_file: false,
        diff: "@@ -1 +1 @@\n",
      }));
      const listing = paginate(diffs, request);
      return { status: 200, body: listing.page, headers: listing.headers };
    }),
  },
  {
    method: "GET",
    pattern: new RegExp(`^${MR}/versions$`),
    handle: withMergeRequest((mergeRequest) => ({
      status: 200,
      body: mergeRequest.versions.map((version) => ({
        id: version.id,
        head_commit_sha: version.headSha,
        base_commit_sha: mergeRequest.baseSha,
        start_commit_sha: mergeRequest.baseSha,
        created_at: version.createdAt,
        state: "collected",
        real_size: "1",
      })),
    })),
  },
  {
    method: "GET",
    pattern: new RegExp(`^${MR}/approvals$`),
    handle: withMergeRequest((mergeRequest, _project, state) => ({
      status: 200,
      body: {
        iid: mergeRequest.iid,
        approved: mergeRequest.approvals.length > 0,
        approved_by: mergeRequest.approvals.map((approval) => ({
          user: { id: approval.userId, username: state.userById(approval.userId)?.username ?? "ghost" },
          approved_at: approval.approvedAt,
        })),
      },
    })),
  },
  {
    method: "GET",
    pattern: new RegExp(`^${MR}/approval_state$`),
    handle: withMergeRequest((mergeRequest, _project, state) => {
      if (!mergeRequest.approvalRules) return notFound();
      const approvers = new Set(
        mergeRequest.approvals.map((approval) => state.userById(approval.userId)?.username),
      );
      return {
        status: 200,
        body: {
          approval_rules_overwritten: false,
          rules: mergeRequest.approvalRules.map((rule, index) => {
            const approvedBy = rule.eligible.filter((name) => approvers.has(name));
            return {
              id: index + 1,
              name: rule.name,
              rule_type: "regular",
              approvals_required: rule.approvalsRequired,
              approved_by: approvedBy.map((username) => ({ username })),
              approved: approvedBy.length >= rule.approvalsRequired,
            };
          }),
        },
      };
    }),
  },
  {
    method: "GET",
    pattern: new RegExp(`^${MR}/notes$`),
    handle: withMergeRequest((mergeRequest, _project, state, request) => {
      const notes = [...mergeRequest.notes];
      if (request.query.get("sort") !== "asc") notes.reverse();
      const listing = paginate(
        notes.map((note) => noteJson(state, note)),
        request,
      );
      return { status: 200, body: listing.page, headers: listing.headers };
    }),
  },
  {
    method: "POST",
    pattern: new RegExp(`^${MR}/notes$`),
    handle: withMergeRequest((mergeRequest, _project, state, request) => {
      const body = request.body["body"];
      if (typeof body !== "string" || body === "") return badRequest({ note: ["can't be blank"] });
      if (body.length > 1_000_000)
        return badRequest({ note: ["is too long (maximum is 1000000 characters)"] });
      return { status: 201, body: noteJson(state, state.addNote(mergeRequest, request.user.username, body)) };
    }),
  },
  {
    method: "PUT",
    pattern: new RegExp(`^${MR}/notes/(\\d+)$`),
    handle: withMergeRequest((mergeRequest, _project, state, request) => {
      const note = mergeRequest.notes.find((candidate) => candidate.id === Number(request.params[2]));
      if (!note) return notFound("Note Not Found");
      if (note.authorId !== request.user.id) return { status: 403, body: { message: "403 Forbidden" } };
      const body = request.body["body"];
      if (typeof body !== "string" || body.length > 1_000_000)
        return badRequest({ note: ["is too long (maximum is 1000000 characters)"] });
      note.body = body;
      return { status: 200, body: noteJson(state, note) };
    }),
  },
  {
    method: "POST",
    pattern: new RegExp(`^${MR}/notes/(\\d+)/award_emoji$`),
    handle: withMergeRequest((mergeRequest, _project, state, request) => {
      const note = mergeRequest.notes.find((candidate) => candidate.id === Number(request.params[2]));
      if (!note) return notFound("Note Not Found");
      const name = String(request.body["name"] ?? "");
      if (note.awards.some((award) => award.name === name && award.userId === request.user.id)) {
        return notFound("Award Emoji Name has already been taken");
      }
      const award = { id: state.id(), name, userId: request.user.id };
      note.awards.push(award);
      return {
        status: 201,
        body: {
          id: award.id,
          name,
          user: { id: request.user.id, username: request.user.username },
          awardable_id: note.id,
          awardable_type: "Note",
        },
      };
    }),
  },
  {
    method: "PUT",
    pattern: new RegExp(`^${MR}/merge$`),
    handle: withMergeRequest((mergeRequest, project, state, request) => {
      if (mergeRequest.state !== "opened" || mergeRequest.draft || mergeRequest.hasConflicts) {
        return { status: 405, body: { message: "405 Method Not Allowed" } };
      }
      const sha = request.body["sha"];
      if (typeof sha === "string" && sha !== mergeRequest.headSha) {
        return { status: 409, body: { message: "SHA does not match HEAD of source branch" } };
      }
      mergeRequest.state = "merged";
      mergeRequest.mergedWith = {
        sha: typeof sha === "string" ? sha : undefined,
        squash: request.body["squash"] === true,
        removeSourceBranch: request.body["should_remove_source_branch"] === true,
      };
      return { status: 200, body: mergeRequestJson(state, project, mergeRequest, request.baseUrl) };
    }),
  },
  ...ciRoutes,
  ...issueRoutes,
];
