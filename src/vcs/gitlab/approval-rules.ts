// GitLab's own approval rules of a merge request (Premium's approval_state); not in VcsProvider yet, see issue 11's report.
import { VcsError } from "../types.ts";
import { ApiApprovalState } from "./api-schema.ts";
import { type GitlabClient, parseAnswer } from "./client.ts";

export interface GitlabApprovalRule {
  name: string;
  approved: boolean;
  approvalsRequired: number;
}

/**
 * The MR's approval rules and whether each is satisfied. GitLab Free has no approval rules: its
 * 403/404 answer means "none", not an error.
 */
export async function listApprovalRules(
  client: GitlabClient,
  projectId: string,
  iid: number,
): Promise<GitlabApprovalRule[]> {
  try {
    const state = parseAnswer(
      ApiApprovalState,
      await client.call(`read the approval rules of !${iid}`, (api) =>
        api.approvals.showApprovalState(projectId, iid),
      ),
      `approval state of !${iid}`,
    );
    return state.rules.map((rule) => ({
      name: rule.name,
      approved: rule.approved ?? false,
      approvalsRequired: rule.approvals_required ?? 0,
    }));
  } catch (error) {
    if (error instanceof VcsError && (error.kind === "not_found" || error.kind === "forbidden")) return [];
    throw error;
  }
}
