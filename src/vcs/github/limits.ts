// GitHub's size limits on the text Terragate sends, in characters: the one home the renderer and the provider share.

export const githubLimits = {
  /** Issue and pull request comment bodies ("Body is too long (maximum is 65536 characters)"). */
  comment: 65_536,
  /** A check run's `output.summary`. */
  checkRunSummary: 65_535,
  /** A check run's `output.text`. */
  checkRunText: 65_535,
  /** Above this many dirspaces a manifest gets one aggregate check run (GitHub's secondary rate limits). */
  checkRunsPerManifest: 50,
} as const;
