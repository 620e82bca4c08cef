// GitLab's size limits and the names Terragate gives its commit statuses and notes there.

/** A note body may hold at most 1,000,000 characters (GitLab's `Note` validation). */
export const gitlabNoteLimit = 1_000_000;

/** Commit status `description` and `name` are stored as 255-character strings. */
export const gitlabStatusTextLimit = 255;

/** Above this many dirspaces in one run, one aggregate status stands for them all (as on GitHub). */
export const gitlabStatusesPerRunCap = 50;

/** Clips text to a limit, saying that it did. */
export function clip(text: string, limit: number, marker = "… (truncated)"): string {
  if (text.length <= limit) return text;
  return `${text.slice(0, Math.max(0, limit - marker.length - 1))}\n${marker}`;
}
