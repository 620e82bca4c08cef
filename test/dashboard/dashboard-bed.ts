// Dashboard test bed: the e2e bed (real app over HTTP, fake GitHub as a GitHub Enterprise Server) plus a fake GitLab sign-in.
import { installations, repositories } from "../../src/db/schema/index.ts";
import { createE2eBed, type E2eBed } from "../e2e/e2e-bed.ts";
import { type FakeGitlabOAuth, startFakeGitlabOAuth } from "../fakes/gitlab-oauth/server.ts";

export const githubClient = { id: "Iv1.dashboardtest", secret: "github-client-secret" };
export const gitlabClient = { id: "gitlab-app-id", secret: "gitlab-app-secret" };

export interface DashboardBed extends E2eBed {
  gitlab: FakeGitlabOAuth;
  /** An installation row as a GitHub `installation` webhook would have made it, with one repository. */
  seedGithubInstallation(input: {
    externalId: number;
    owner: string;
    repo?: string;
  }): Promise<{ id: number; repoId: number }>;
  seedGitlabInstallation(input: {
    externalId: number;
    login: string;
    type?: "group" | "project";
  }): Promise<{ id: number }>;
}

export async function createDashboardBed(
  options: { accessTtlSeconds?: number; admins?: string } = {},
): Promise<DashboardBed> {
  const gitlab = await startFakeGitlabOAuth();
  gitlab.state.clients.set(gitlabClient.id, gitlabClient.secret);
  const bed = await createE2eBed({
    // GHE mode: the sign-in pages (/login/oauth/*) and the API (/api/v3) are both on the fake's host.
    env: (githubUrl) => ({
      GITHUB_API_URL: undefined,
      GHE_HOST: new URL(githubUrl).host,
      GHE_PROTOCOL: "http",
      GITHUB_CLIENT_ID: githubClient.id,
      GITHUB_CLIENT_SECRET: githubClient.secret,
      GITLAB_URL: gitlab.url,
      GITLAB_CLIENT_ID: gitlabClient.id,
      GITLAB_CLIENT_SECRET: gitlabClient.secret,
      TERRAGATE_ADMINS: options.admins,
    }),
    dashboard: options.accessTtlSeconds === undefined ? {} : { accessTtlSeconds: options.accessTtlSeconds },
  });
  bed.github.state.oauth.registerClient(githubClient.id, githubClient.secret);
  const db = bed.database.client.db;
  return {
    ...bed,
    gitlab,
    async seedGithubInstallation(input) {
      const [installation] = await db
        .insert(installations)
        .values({ vcs: "github", externalId: String(input.externalId), accountLogin: input.owner })
        .returning({ id: installations.id });
      const name = input.repo ?? "infra";
      const fake = bed.github.state.repos.get(`${input.owner}/${name}`.toLowerCase());
      const [repo] = await db
        .insert(repositories)
        .values({
          installationId: installation!.id,
          vcs: "github",
          externalId: String(fake?.id ?? input.externalId * 10),
          owner: input.owner,
          name,
          fullName: `${input.owner}/${name}`,
        })
        .returning({ id: repositories.id });
      return { id: installation!.id, repoId: repo!.id };
    },
    async seedGitlabInstallation(input) {
      const [installation] = await db
        .insert(installations)
        .values({
          vcs: "gitlab",
          externalId: String(input.externalId),
          accountLogin: input.login,
          accountType: input.type ?? "group",
        })
        .returning({ id: installations.id });
      return { id: installation!.id };
    },
    async close() {
      await bed.close();
      await gitlab.close();
    },
  };
}
