// Size limits of what each VCS accepts, measured as JavaScript string length (UTF-16 units, an upper bound).
import type { Vcs } from "../db/schema/index.ts";

/** Largest comment body each VCS accepts: GitHub's is 65,536 characters, GitLab's note limit is 1,000,000. */
export const commentLimits: Record<Vcs, number> = { github: 65_536, gitlab: 1_000_000 };

/** GitHub check run `output.text` and `output.summary` limit. */
export const checkRunTextLimit = 65_535;
export const checkRunSummaryLimit = 65_535;
