// The words a GitLab user must not read: GitHub's names for merge requests, pipelines and their CI.

/** Each word, and what GitLab calls it. */
export const githubWords: Array<[RegExp, string]> = [
  [/pull request/i, "merge request"],
  [/\bPRs?\b/, "MR"],
  [/(^|[\s(`'"])#\d/, "!N"],
  // GitLab CI's own `workflow:` keyword (the pipeline's name) is GitLab's word.
  [/\bworkflow\b(?!:)/i, "pipeline (or `workflows` of .terragate/config.yml)"],
  [/check run/i, "commit status"],
  [/GitHub/, "GitLab"],
  [/\.github\//, ".gitlab-ci.yml"],
  [/the Terragate action/i, "the Terragate component"],
  [/id-token: write/, "id_tokens"],
];

/** What a person reads of a note or status: hidden markers (`<!-- terragate:…:pr-7 -->`) left out. */
export function visibleText(text: string): string {
  return text.replace(/<!--[\s\S]*?-->/g, "");
}

/** The GitHub words found in `text`, each with what GitLab calls it; empty when it speaks GitLab. */
export function githubWordsIn(text: string): string[] {
  const visible = visibleText(text);
  return githubWords
    .filter(([word]) => word.test(visible))
    .map(([word, gitlab]) => `${word.exec(visible)?.[0]?.trim()} (GitLab: ${gitlab})`);
}
