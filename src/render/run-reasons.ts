// Reasons a run ended without running, and the automerge note, in the platform's words (MR and !N on GitLab).
import type { VcsWords } from "../vcs/platform.ts";

type Words = Pick<VcsWords, "changeRequestShort" | "reference">;

/** Why a run was not started: the change request moved on before it began. */
export function movedReason(words: Words, fromSha: string, toSha: string): string {
  return `the ${words.changeRequestShort} moved from ${fromSha.slice(0, 7)} to ${toSha.slice(0, 7)} before this run started; the new commit is evaluated on its own`;
}

/** Why a run was not started: the change request was closed (or merged) first. */
export function closedReason(words: Words, number: number, state = "closed"): string {
  return `${words.changeRequestShort} ${words.reference(number)} was ${state} before this run started`;
}

/** The note left when everything is applied but the VCS refused the merge. */
export function automergeFailedNote(words: Words, message: string): string {
  return `:warning: Everything is applied, but automerge could not merge this ${words.changeRequestShort}: ${message}`;
}
