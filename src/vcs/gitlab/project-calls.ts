// The GitLab provider's project and issue calls: metadata for refresh, and the issue drift detection keeps.
import { z } from "zod";
import type { IssueInfo, RepositoryInfo, VcsProvider } from "../types.ts";
import { type GitlabClient, isNotFound, parseAnswer } from "./client.ts";

const ApiProject = z.looseObject({
  id: z.number(),
  path: z.string(),
  path_with_namespace: z.string(),
  namespace: z.looseObject({ full_path: z.string() }),
  default_branch: z.string().nullish(),
  archived: z.boolean().default(false),
  visibility: z.string().default("private"),
});

const ApiCommit = z.looseObject({ id: z.string() });

const ApiIssue = z.looseObject({
  iid: z.number(),
  title: z.string(),
  description: z.string().nullish(),
  state: z.string(),
  web_url: z.string().nullish(),
  author: z.looseObject({ id: z.number() }).nullish(),
});

function issueInfo(issue: z.infer<typeof ApiIssue>): IssueInfo {
  return {
    number: issue.iid,
    state: issue.state === "closed" ? "closed" : "open",
    title: issue.title,
    body: issue.description ?? "",
    url: issue.web_url ?? null,
  };
}

export type ProjectCalls = Pick<
  VcsProvider,
  "getRepository" | "createIssue" | "updateIssue" | "getIssue" | "findOwnOpenIssue"
>;

export function createProjectCalls(client: GitlabClient, projectId: string, botUserId: number): ProjectCalls {
  return {
    async getRepository(): Promise<RepositoryInfo> {
      const answer = await client.call("read the project", (api) => api.projects.show(projectId));
      const project = parseAnswer(ApiProject, answer, "project");
      const branch = project.default_branch ?? null;
      let defaultBranchSha: string | null = null;
      if (branch !== null) {
        try {
          const commit = await client.call(`read the head of ${branch}`, (api) =>
            api.commits.show(projectId, branch),
          );
          defaultBranchSha = parseAnswer(ApiCommit, commit, `head of ${branch}`).id;
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
      }
      return {
        externalId: String(project.id),
        owner: project.namespace.full_path,
        name: project.path,
        fullName: project.path_with_namespace,
        defaultBranch: branch ?? "main",
        archived: project.archived,
        private: project.visibility !== "public",
        defaultBranchSha,
      };
    },

    async createIssue(title, body) {
      const created = await client.call(`open issue "${title}"`, (api) =>
        api.issues.create(projectId, title, { description: body }),
      );
      return issueInfo(parseAnswer(ApiIssue, created, "issue"));
    },

    async updateIssue(number, update) {
      await client.call(`edit issue #${number}`, (api) =>
        api.issues.edit(projectId, number, {
          ...(update.body === undefined ? {} : { description: update.body }),
          ...(update.state === undefined
            ? {}
            : { stateEvent: update.state === "closed" ? "close" : "reopen" }),
        }),
      );
    },

    async getIssue(number) {
      try {
        const issue = await client.call(`read issue #${number}`, (api) =>
          api.issues.show(number, { projectId }),
        );
        return issueInfo(parseAnswer(ApiIssue, issue, `issue #${number}`));
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
    },

    async findOwnOpenIssue(title) {
      const found = await client.call(`find issue "${title}"`, (api) =>
        api.issues.all({
          projectId,
          state: "opened",
          search: title,
          in: "title",
          authorId: botUserId,
          perPage: 100,
          maxPages: 1,
        }),
      );
      const issues = parseAnswer(z.array(ApiIssue), found, "issues");
      // `search` matches words; only the exact title counts.
      const mine = issues.find((issue) => issue.title === title);
      return mine ? issueInfo(mine) : null;
    },
  };
}
