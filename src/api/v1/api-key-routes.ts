// /access-tokens: list, create and revoke the installation's API keys (capability access_token_create).
import { createRoute, z } from "@hono/zod-openapi";
import { type ApiKeyRecord, createApiKey, listApiKeys, revokeApiKey } from "../../db/queries/api-keys.ts";
import { withTenant } from "../../db/queries/tenant-transaction.ts";
import { authorize } from "../auth/access-token-auth.ts";
import { Capability } from "../auth/capabilities.ts";
import type { ApiDeps } from "./api-deps.ts";
import { ApiError, errorResponses } from "./api-error.ts";
import { bearerSecurity, createRouter, iso, Timestamp } from "./schemas.ts";

const ApiKey = z
  .object({
    id: z.string().uuid(),
    name: z.string(),
    capabilities: z.array(z.string()),
    created_by: z.string(),
    created_at: Timestamp,
    last_used_at: Timestamp.nullable(),
    revoked_at: Timestamp.nullable(),
  })
  .openapi("ApiKey");

const CreatedApiKey = ApiKey.extend({
  key: z.string().openapi({ description: "the API key; shown only in this response" }),
}).openapi("CreatedApiKey");

const CreateApiKeyBody = z
  .object({
    name: z.string().max(200).default(""),
    capabilities: z.array(Capability).min(1).max(10),
  })
  .openapi("CreateApiKeyBody");

function toApiKey(record: ApiKeyRecord): z.infer<typeof ApiKey> {
  return {
    id: record.id,
    name: record.name,
    capabilities: record.capabilities,
    created_by: record.createdBy,
    created_at: iso(record.createdAt),
    last_used_at: iso(record.lastUsedAt),
    revoked_at: iso(record.revokedAt),
  };
}

const list = createRoute({
  method: "get",
  path: "/access-tokens",
  summary: "List the installation's API keys (never their secrets)",
  tags: ["api keys"],
  security: bearerSecurity,
  responses: {
    200: {
      description: "keys, newest first, revoked ones included",
      content: { "application/json": { schema: z.object({ items: z.array(ApiKey) }) } },
    },
    ...errorResponses(401, 403, 429),
  },
});

const create = createRoute({
  method: "post",
  path: "/access-tokens",
  summary: "Create an API key with a subset of the caller's capabilities",
  tags: ["api keys"],
  security: bearerSecurity,
  request: { body: { content: { "application/json": { schema: CreateApiKeyBody } }, required: true } },
  responses: {
    201: {
      description: "the new key, shown once",
      content: { "application/json": { schema: CreatedApiKey } },
    },
    ...errorResponses(400, 401, 403, 413, 429),
  },
});

const revoke = createRoute({
  method: "delete",
  path: "/access-tokens/{id}",
  summary: "Revoke an API key; its refreshes stop at once",
  tags: ["api keys"],
  security: bearerSecurity,
  request: {
    params: z.object({
      id: z
        .string()
        .uuid()
        .openapi({ param: { name: "id", in: "path" } }),
    }),
  },
  responses: {
    200: { description: "the revoked key", content: { "application/json": { schema: ApiKey } } },
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

export function apiKeyRoutes(deps: ApiDeps) {
  return createRouter()
    .openapi(list, async (c) => {
      const principal = authorize(c, "access_token_create");
      const keys = await withTenant(deps.database, principal.installationId, (tx) =>
        listApiKeys(tx, principal.installationId),
      );
      return c.json({ items: keys.map(toApiKey) }, 200);
    })
    .openapi(create, async (c) => {
      const principal = authorize(c, "access_token_create");
      const body = c.req.valid("json");
      const beyond = body.capabilities.filter((capability) => !principal.capabilities.includes(capability));
      if (beyond.length > 0) {
        throw new ApiError(
          403,
          "forbidden",
          `a key cannot grant capabilities it does not hold: ${beyond.join(", ")}`,
          {
            details: { not_held: beyond },
          },
        );
      }
      const created = await withTenant(deps.database, principal.installationId, (tx) =>
        createApiKey(tx, {
          installationId: principal.installationId,
          name: body.name,
          capabilities: [...new Set(body.capabilities)].sort(),
          createdBy: `api-key:${principal.keyId}`,
        }),
      );
      return c.json({ ...toApiKey(created.record), key: created.key }, 201);
    })
    .openapi(revoke, async (c) => {
      const principal = authorize(c, "access_token_create");
      const { id } = c.req.valid("param");
      const revoked = await withTenant(deps.database, principal.installationId, (tx) =>
        revokeApiKey(tx, {
          id,
          installationId: principal.installationId,
          actor: `api-key:${principal.keyId}`,
        }),
      );
      if (!revoked) throw new ApiError(404, "not_found", `no unrevoked API key ${id} in this installation`);
      return c.json(toApiKey(revoked), 200);
    });
}
