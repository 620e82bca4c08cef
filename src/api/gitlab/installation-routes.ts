// POST /api/v1/gitlab/installations (admin only): connect a GitLab group or project, as `terragate gitlab connect` does.
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import { GitlabConnectionConflictError } from "../../db/queries/gitlab-connections.ts";
import { VcsError } from "../../vcs/types.ts";
import type { AppDeps } from "../app.ts";
import { requireAdminToken } from "../auth/admin-token.ts";
import { errorBody, validationDetails } from "../v1/api-error.ts";

const path = z
  .string()
  .trim()
  .min(1)
  .max(1000)
  .regex(/^[\w.-]+(\/[\w.-]+)*$/, "expected a GitLab path such as acme or acme/infra")
  .refine(
    (value) => !value.split("/").some((segment) => /^\.+$/.test(segment)),
    "a path segment cannot be . or ..",
  );

export const ConnectGitlabBody = z
  .strictObject({
    url: z.url({ protocol: /^https?$/ }).optional(),
    group: path.optional(),
    project: path.optional(),
    token: z.string().min(1).max(1000),
  })
  .refine((body) => (body.group === undefined) !== (body.project === undefined), {
    message: "give exactly one of group or project",
    path: ["group"],
  });

export function createGitlabInstallationRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  app.post(
    "/installations",
    requireAdminToken({ adminToken: deps.config.TERRAGATE_ADMIN_TOKEN }),
    bodyLimit({
      maxSize: 64 * 1024,
      onError: (c) => {
        c.header("connection", "close");
        return c.json(errorBody("payload_too_large", "request body exceeds 64 KiB"), 413);
      },
    }),
    async (c) => {
      let json: unknown;
      try {
        json = await c.req.json();
      } catch {
        return c.json(errorBody("bad_request", "the body must be JSON: {url?, group | project, token}"), 400);
      }
      const parsed = ConnectGitlabBody.safeParse(json);
      if (!parsed.success) {
        return c.json(
          errorBody(
            "validation_failed",
            "the request's body is invalid; see details for each problem",
            validationDetails(parsed.error),
          ),
          400,
        );
      }
      const body = parsed.data;
      // gitbeaker loads on the first connect: a serving process that never connects never holds it.
      const { connectGitlabInstallation, GitlabConnectError } = await import("./connect-installation.ts");
      try {
        const result = await connectGitlabInstallation(deps, {
          url: body.url,
          kind: body.group !== undefined ? "group" : "project",
          path: (body.group ?? body.project) as string,
          token: body.token,
        });
        deps.logger.info(
          { installation: result.installationRef, hook: result.hook.id },
          "GitLab installation connected",
        );
        return c.json(
          {
            installation: {
              id: String(result.namespaceId),
              ref: result.installationRef,
              vcs: "gitlab",
              kind: result.kind,
              path: result.fullPath,
              instance_url: result.instanceUrl,
            },
            bot: result.bot,
            token: { scopes: result.scopes, expires_at: result.tokenExpiresAt },
            webhook: {
              id: result.hook.id,
              action: result.hook.action,
              url: result.hook.url,
              events: result.hook.events,
            },
          },
          201,
        );
      } catch (error) {
        if (error instanceof GitlabConnectError) return c.json(errorBody("bad_request", error.message), 400);
        if (error instanceof GitlabConnectionConflictError)
          return c.json(errorBody("conflict", error.message), 409);
        if (error instanceof VcsError) {
          return error.retryable
            ? c.json(errorBody("bad_gateway", `GitLab did not answer: ${error.message}`), 502)
            : c.json(errorBody("bad_request", `GitLab refused: ${error.message}`), 400);
        }
        throw error;
      }
    },
  );
  return app;
}
