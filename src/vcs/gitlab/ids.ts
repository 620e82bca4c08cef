// Ids Terragate hands out for GitLab objects whose API address needs more than their own number.
import { VcsError } from "../types.ts";

/**
 * A merge request note is addressed as /merge_requests/:iid/notes/:note_id, so its comment id carries
 * the MR's iid: `"<iid>:<note id>"`. (GitHub's comment ids stand alone; see the report on issue 11 for
 * the interface change that would make this unnecessary.)
 */
export function formatNoteId(mergeRequestIid: number, noteId: number): string {
  return `${mergeRequestIid}:${noteId}`;
}

export function parseNoteId(commentId: string): { mergeRequestIid: number; noteId: number } {
  const match = /^(\d+):(\d+)$/.exec(commentId);
  if (!match) {
    throw new VcsError(
      `"${commentId}" is not a GitLab note id (expected "<merge request iid>:<note id>")`,
      "invalid",
      null,
    );
  }
  return { mergeRequestIid: Number(match[1]), noteId: Number(match[2]) };
}

/**
 * A commit status is updated by posting again with the same sha and name, so a "check run id" is the
 * pair, encoded as `"<sha>:<base64url name>"` (names contain spaces, colons and parentheses).
 */
export function formatStatusId(sha: string, name: string): string {
  return `${sha}:${Buffer.from(name, "utf8").toString("base64url")}`;
}

export function parseStatusId(statusId: string): { sha: string; name: string } {
  const match = /^([0-9a-f]{7,64}):([A-Za-z0-9_-]+)$/.exec(statusId);
  if (!match) {
    throw new VcsError(`"${statusId}" is not a GitLab commit status id`, "invalid", null);
  }
  return { sha: match[1]!, name: Buffer.from(match[2]!, "base64url").toString("utf8") };
}
