// The GitLab routes under /api/v1 in the OpenAPI description: the webhook and connecting an installation (admin).
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { ErrorResponse } from "../v1/api-error.ts";

const errorContent = { "application/json": { schema: ErrorResponse } };
/** The webhook answers errors as GitHub's does: `{"error": "…"}`. */
const webhookError = { "application/json": { schema: z.object({ error: z.string() }) } };

type OpenAPIRegistry = OpenAPIHono["openAPIRegistry"];

export function registerGitlabApiDocs(registry: OpenAPIRegistry): void {
  registry.registerComponent("securitySchemes", "adminToken", {
    type: "http",
    scheme: "bearer",
    description: "the server's TERRAGATE_ADMIN_TOKEN: admin routes act across installations",
  });
  registry.registerComponent("securitySchemes", "gitlabWebhookToken", {
    type: "apiKey",
    in: "header",
    name: "X-Gitlab-Token",
    description: "the secret token `terragate gitlab connect` set on the group's or project's webhook",
  });

  registry.registerPath({
    method: "post",
    path: "/gitlab/installations",
    summary:
      "Connect a GitLab group or project: check the token, create or update the webhook, store the token sealed",
    tags: ["gitlab"],
    security: [{ adminToken: [] }],
    request: {
      body: {
        required: true,
        content: {
          "application/json": {
            schema: z
              .object({
                url: z
                  .string()
                  .optional()
                  .openapi({ description: "the GitLab instance (default GITLAB_URL)" }),
                group: z
                  .string()
                  .optional()
                  .openapi({ description: "a group's full path (or give project)" }),
                project: z.string().optional().openapi({ description: "a project's path (or give group)" }),
                token: z
                  .string()
                  .openapi({ description: "a group or project access token with the api scope" }),
              })
              .openapi("ConnectGitlabBody"),
          },
        },
      },
    },
    responses: {
      201: {
        description:
          "connected: the installation, the token's bot user and scopes, the webhook created or updated",
        content: {
          "application/json": {
            schema: z
              .object({
                installation: z.object({
                  id: z.string(),
                  ref: z.string(),
                  vcs: z.literal("gitlab"),
                  kind: z.enum(["group", "project"]),
                  path: z.string(),
                  instance_url: z.string(),
                }),
                bot: z.object({ id: z.number(), username: z.string() }),
                token: z.object({ scopes: z.array(z.string()), expires_at: z.string().nullable() }),
                webhook: z.object({
                  id: z.number(),
                  action: z.enum(["created", "updated"]),
                  url: z.string(),
                  events: z.array(z.string()),
                }),
              })
              .openapi("GitlabInstallation"),
          },
        },
      },
      400: {
        description:
          "invalid body, or GitLab refused the token, the path or the webhook (the message says why)",
        content: errorContent,
      },
      401: { description: "missing or wrong admin token", content: errorContent },
      403: { description: "admin routes are off: TERRAGATE_ADMIN_TOKEN is unset", content: errorContent },
      409: {
        description: "the group or project overlaps an installation already connected",
        content: errorContent,
      },
      502: { description: "GitLab did not answer", content: errorContent },
    },
  });

  registry.registerPath({
    method: "post",
    path: "/gitlab/events",
    summary: "GitLab webhook (also at /api/gitlab/v1/events): stored and queued before the answer",
    description:
      "202 when stored; 200 for a redelivery (same Idempotency-Key or X-Gitlab-Event-UUID) or an event Terragate does not act on.",
    tags: ["gitlab"],
    security: [{ gitlabWebhookToken: [] }],
    request: {
      headers: z.object({
        "x-gitlab-event": z.string().openapi({ description: "e.g. Merge Request Hook, Note Hook" }),
        "idempotency-key": z.string().optional(),
        "x-gitlab-event-uuid": z.string().optional(),
      }),
      body: { required: true, content: { "application/json": { schema: z.object({}).passthrough() } } },
    },
    responses: {
      202: {
        description: "stored, and its evaluation queued",
        content: { "application/json": { schema: z.object({ ok: z.boolean(), stored: z.boolean() }) } },
      },
      400: { description: "not JSON, or no X-Gitlab-Event / delivery id header", content: webhookError },
      401: { description: "missing or wrong X-Gitlab-Token; nothing stored", content: webhookError },
      403: {
        description: "the project is outside the group or project the token belongs to",
        content: webhookError,
      },
      413: { description: "body over 25 MB", content: webhookError },
    },
  });
}
