// /{vcs}/installations…: the token's installation, its repositories, pull requests and audit log.
import { createRoute, z } from "@hono/zod-openapi";
import { listAudit } from "../../db/queries/audit-log.ts";
import {
  getInstallation,
  listPullRequests,
  listRepositories,
} from "../../db/queries/installation-resources.ts";
import { withTenant } from "../../db/queries/tenant-transaction.ts";
import { pullRequestStates } from "../../db/schema/index.ts";
import { authorize } from "../auth/access-token-auth.ts";
import type { ApiDeps } from "./api-deps.ts";
import { errorResponses } from "./api-error.ts";
import {
  bearerSecurity,
  createRouter,
  cursorFrom,
  InstallationParams,
  iso,
  PageQuery,
  pageOf,
  Timestamp,
  Vcs,
} from "./schemas.ts";

const Installation = z
  .object({
    id: z.string().openapi({ description: "the installation's id on the VCS" }),
    vcs: Vcs,
    account: z.string(),
    account_type: z.string(),
    suspended_at: Timestamp.nullable(),
    created_at: Timestamp,
  })
  .openapi("Installation");

const Repository = z
  .object({
    id: z.number().int(),
    external_id: z.string(),
    full_name: z.string(),
    owner: z.string(),
    name: z.string(),
    default_branch: z.string(),
    private: z.boolean(),
    created_at: Timestamp,
  })
  .openapi("Repository");

const PullRequest = z
  .object({
    id: z.number().int(),
    repo: z.string(),
    number: z.number().int(),
    state: z.enum(pullRequestStates),
    title: z.string(),
    author: z.string(),
    base_branch: z.string(),
    base_sha: z.string(),
    head_branch: z.string(),
    head_sha: z.string(),
    draft: z.boolean(),
    created_at: Timestamp,
    updated_at: Timestamp,
    merged_at: Timestamp.nullable(),
    closed_at: Timestamp.nullable(),
  })
  .openapi("PullRequest");

const AuditEntry = z
  .object({
    id: z.number().int(),
    actor: z.string(),
    action: z.string(),
    target: z.unknown(),
    created_at: Timestamp,
  })
  .openapi("AuditEntry");

const RepoFilter = z
  .string()
  .max(300)
  .optional()
  .openapi({ description: "repository full name, e.g. acme/infra" });

const installationsRoute = createRoute({
  method: "get",
  path: "/{vcs}/installations",
  summary: "Installations this token can see (its own)",
  tags: ["installations"],
  security: bearerSecurity,
  request: { params: z.object({ vcs: Vcs.openapi({ param: { name: "vcs", in: "path" } }) }) },
  responses: {
    200: {
      description: "installations",
      content: { "application/json": { schema: pageOf(Installation, "InstallationPage") } },
    },
    ...errorResponses(400, 401, 403, 429),
  },
});

const reposRoute = createRoute({
  method: "get",
  path: "/{vcs}/installations/{installation}/repos",
  summary: "Repositories of the installation",
  tags: ["installations"],
  security: bearerSecurity,
  request: { params: InstallationParams, query: PageQuery },
  responses: {
    200: {
      description: "a page of repositories",
      content: { "application/json": { schema: pageOf(Repository, "RepositoryPage") } },
    },
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

const pullRequestsRoute = createRoute({
  method: "get",
  path: "/{vcs}/installations/{installation}/pull-requests",
  summary: "Pull requests (GitLab: merge requests) of the installation",
  tags: ["installations"],
  security: bearerSecurity,
  request: {
    params: InstallationParams,
    query: PageQuery.extend({ repo: RepoFilter, state: z.enum(pullRequestStates).optional() }),
  },
  responses: {
    200: {
      description: "a page of pull requests",
      content: { "application/json": { schema: pageOf(PullRequest, "PullRequestPage") } },
    },
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

const auditRoute = createRoute({
  method: "get",
  path: "/{vcs}/installations/{installation}/audit",
  summary: "Audit log: API key creation and revocation, unlocks, applies",
  tags: ["audit"],
  security: bearerSecurity,
  request: {
    params: InstallationParams,
    query: PageQuery.extend({ action: z.string().max(100).optional().openapi({ example: "lock.unlock" }) }),
  },
  responses: {
    200: {
      description: "a page of audit entries",
      content: { "application/json": { schema: pageOf(AuditEntry, "AuditPage") } },
    },
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

export function installationRoutes(deps: ApiDeps) {
  return createRouter()
    .openapi(installationsRoute, async (c) => {
      const principal = authorize(c, "installation_read");
      const { vcs } = c.req.valid("param");
      const installation =
        principal.vcs === vcs
          ? await withTenant(deps.database, principal.installationId, (tx) =>
              getInstallation(tx, principal.installationId),
            )
          : undefined;
      const items = installation
        ? [
            {
              id: installation.externalId,
              vcs: installation.vcs,
              account: installation.accountLogin,
              account_type: installation.accountType,
              suspended_at: iso(installation.suspendedAt),
              created_at: iso(installation.createdAt),
            },
          ]
        : [];
      return c.json({ items, next_page: null }, 200);
    })
    .openapi(reposRoute, async (c) => {
      authorize(c, "installation_read");
      const installationId = c.get("installation").id;
      const query = c.req.valid("query");
      const page = await withTenant(deps.database, installationId, (tx) =>
        listRepositories(tx, installationId, {
          limit: query.limit,
          direction: query.d,
          after: cursorFrom(query, 2),
        }),
      );
      const items = page.items.map((row) => ({
        id: row.id,
        external_id: row.externalId,
        full_name: row.fullName,
        owner: row.owner,
        name: row.name,
        default_branch: row.defaultBranch,
        private: row.private,
        created_at: iso(row.createdAt, query.tz),
      }));
      return c.json({ items, next_page: page.nextPage }, 200);
    })
    .openapi(pullRequestsRoute, async (c) => {
      authorize(c, "installation_read");
      const installationId = c.get("installation").id;
      const query = c.req.valid("query");
      const page = await withTenant(deps.database, installationId, (tx) =>
        listPullRequests(tx, installationId, {
          limit: query.limit,
          direction: query.d,
          after: cursorFrom(query, 2),
          repo: query.repo,
          state: query.state,
        }),
      );
      const items = page.items.map((row) => ({
        id: row.id,
        repo: row.repo,
        number: row.number,
        state: row.state,
        title: row.title,
        author: row.author,
        base_branch: row.baseBranch,
        base_sha: row.baseSha,
        head_branch: row.headBranch,
        head_sha: row.headSha,
        draft: row.draft,
        created_at: iso(row.createdAt, query.tz),
        updated_at: iso(row.updatedAt, query.tz),
        merged_at: iso(row.mergedAt, query.tz),
        closed_at: iso(row.closedAt, query.tz),
      }));
      return c.json({ items, next_page: page.nextPage }, 200);
    })
    .openapi(auditRoute, async (c) => {
      authorize(c, "audit_read");
      const installationId = c.get("installation").id;
      const query = c.req.valid("query");
      const page = await withTenant(deps.database, installationId, (tx) =>
        listAudit(tx, installationId, {
          limit: query.limit,
          direction: query.d,
          after: cursorFrom(query, 2),
          action: query.action,
        }),
      );
      const items = page.items.map((row) => ({
        id: row.id,
        actor: row.actor,
        action: row.action,
        target: row.target,
        created_at: iso(row.createdAt, query.tz),
      }));
      return c.json({ items, next_page: page.nextPage }, 200);
    });
}
