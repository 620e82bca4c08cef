// The GitHub provider's repository and issue calls: metadata for refresh, and the issue drift detection keeps.
import { z } from "zod";
import type { IssueInfo, RepositoryInfo, VcsProvider } from "../types.ts";
import type { GithubOctokit } from "./provider.ts";

const GithubRepository = z.looseObject({
  id: z.number(),
  name: z.string(),
  full_name: z.string(),
  owner: z.looseObject({ login: z.string() }),
  default_branch: z.string(),
  archived: z.boolean().default(false),
  private: z.boolean().default(true),
});

const GithubIssue = z.looseObject({
  number: z.number(),
  state: z.string(),
  title: z.string(),
  body: z.string().nullish(),
  html_url: z.string().nullish(),
  pull_request: z.unknown().optional(),
  performed_via_github_app: z.looseObject({ id: z.number() }).nullish(),
});

function issueInfo(issue: z.infer<typeof GithubIssue>): IssueInfo {
  return {
    number: issue.number,
    state: issue.state === "closed" ? "closed" : "open",
    title: issue.title,
    body: issue.body ?? "",
    url: issue.html_url ?? null,
  };
}

function status(error: unknown): number | undefined {
  const value = (error as { status?: unknown } | null)?.status;
  return typeof value === "number" ? value : undefined;
}

/** Open issues looked through when finding our own by title (newest first); past this it is given up. */
const maxIssuePages = 10;

export type RepositoryCalls = Pick<
  VcsProvider,
  "getRepository" | "createIssue" | "updateIssue" | "getIssue" | "findOwnOpenIssue"
>;

export function createRepositoryCalls(
  octokit: GithubOctokit,
  base: { owner: string; repo: string },
  isThisApp: (app: { id?: number } | null | undefined) => boolean,
  run: <T>(what: string, fn: () => Promise<T>) => Promise<T>,
): RepositoryCalls {
  return {
    getRepository: () =>
      run("get repository", async (): Promise<RepositoryInfo> => {
        const repository = GithubRepository.parse((await octokit.rest.repos.get(base)).data);
        let defaultBranchSha: string | null = null;
        try {
          const ref = await octokit.rest.git.getRef({ ...base, ref: `heads/${repository.default_branch}` });
          defaultBranchSha = ref.data.object.sha;
        } catch (error) {
          // An empty repository has no branch yet (404; 409 "Git Repository is empty").
          if (status(error) !== 404 && status(error) !== 409) throw error;
        }
        return {
          externalId: String(repository.id),
          owner: repository.owner.login,
          name: repository.name,
          fullName: repository.full_name,
          defaultBranch: repository.default_branch,
          archived: repository.archived,
          private: repository.private,
          defaultBranchSha,
        };
      }),

    createIssue: (title, body) =>
      run(`open issue "${title}"`, async () => {
        const created = await octokit.rest.issues.create({ ...base, title, body });
        return issueInfo(GithubIssue.parse(created.data));
      }),

    updateIssue: (number, update) =>
      run(`update issue #${number}`, async () => {
        await octokit.rest.issues.update({ ...base, issue_number: number, ...update });
      }),

    getIssue: (number) =>
      run(`get issue #${number}`, async () => {
        try {
          const issue = GithubIssue.parse(
            (await octokit.rest.issues.get({ ...base, issue_number: number })).data,
          );
          return issue.pull_request === undefined ? issueInfo(issue) : null;
        } catch (error) {
          // 404: never existed or deleted; 410: deleted.
          if (status(error) === 404 || status(error) === 410) return null;
          throw error;
        }
      }),

    findOwnOpenIssue: (title) =>
      run(`find issue "${title}"`, async () => {
        for (let page = 1; page <= maxIssuePages; page++) {
          const answer = await octokit.rest.issues.listForRepo({
            ...base,
            state: "open",
            sort: "created",
            direction: "desc",
            per_page: 100,
            page,
          });
          const issues = z.array(GithubIssue).parse(answer.data);
          // Only one this app opened: anyone can open an issue with the same title.
          const mine = issues.find(
            (issue) =>
              issue.pull_request === undefined &&
              issue.title === title &&
              isThisApp(issue.performed_via_github_app),
          );
          if (mine) return issueInfo(mine);
          if (issues.length < 100) return null;
        }
        return null;
      }),
  };
}
