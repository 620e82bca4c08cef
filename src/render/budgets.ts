// Size budgets the renderer fits text into, per VCS, read from each platform's own limits.
import type { Vcs } from "../db/schema/index.ts";
import { githubLimits } from "../vcs/github/limits.ts";

/** Largest comment body each VCS accepts: GitHub's is 65,536 characters, GitLab's note limit is 1,000,000. */
export const commentLimits: Record<Vcs, number> = { github: githubLimits.comment, gitlab: 1_000_000 };

/** GitHub check run `output.text` and `output.summary` limits. */
export const checkRunTextLimit = githubLimits.checkRunText;
export const checkRunSummaryLimit = githubLimits.checkRunSummary;
