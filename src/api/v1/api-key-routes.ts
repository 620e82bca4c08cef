// /access-tokens: list, create and revoke the installation's API keys (capability access_token_create).
import { createRoute, z } from "@hono/zod-openapi";
import {
  type ApiKeyRecord,
  createApiKey,
  listApiKeys,
  ParentKeyRevokedError,
  revokeApiKey,
} from "../../db/queries/api-keys.ts";
import { withTenant } from "../../db/queries/tenant-transaction.ts";
import { authorize } from "../auth/access-token-auth.ts";
import { Grant, holdsGrant } from "../auth/capabilities.ts";
import type { ApiDeps } from "./api-deps.ts";
import { ApiError, errorResponses } from "./api-error.ts";
import { bearerSecurity, createRouter, iso, Timestamp } from "./schemas.ts";

const ApiKey = z
  .object({
    id: z.string().uuid(),
    name: z.string(),
    capabilities: z.array(z.string()),
    created_by: z.string(),
    parent_key_id: z
      .string()
      .uuid()
      .nullable()
      .openapi({ description: "the key that created this one; revoking it revokes this one" }),
    created_at: Timestamp,
    last_used_at: Timestamp.nullable(),
    revoked_at: Timestamp.nullable(),
  })
  .openapi("ApiKey");

const RevokedApiKey = ApiKey.extend({
  revoked_descendants: z
    .array(ApiKey)
    .openapi({ description: "keys this key created (transitively), revoked with it" }),
}).openapi("RevokedApiKey");

const CreatedApiKey = ApiKey.extend({
  key: z.string().openapi({ description: "the API key; shown only in this response" }),
}).openapi("CreatedApiKey");

const CreateApiKeyBody = z
  .object({
    name: z.string().max(200).default(""),
    capabilities: z
      .array(Grant)
      .min(1)
      .max(50)
      .openapi({ description: "installation-wide capabilities, and unlock:OWNER/REPO or unlock:* grants" }),
  })
  .openapi("CreateApiKeyBody");

function toApiKey(record: ApiKeyRecord): z.infer<typeof ApiKey> {
  return {
    id: record.id,
    name: record.name,
    capabilities: record.capabilities,
    created_by: record.createdBy,
    parent_key_id: record.parentKeyId,
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
  summary: "Revoke an API key and every key it created (transitively); their refreshes stop at once",
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
    200: {
      description: "the revoked key and the keys revoked with it",
      content: { "application/json": { schema: RevokedApiKey } },
    },
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
      const beyond = body.capabilities.filter((grant) => !holdsGrant(principal.capabilities, grant));
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
          parentKeyId: principal.keyId,
        }),
      ).catch((error: unknown) => {
        if (error instanceof ParentKeyRevokedError) {
          throw new ApiError(
            401,
            "unauthorized",
            "this access token's API key is revoked; it creates no keys",
          );
        }
        throw error;
      });
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
      return c.json(
        { ...toApiKey(revoked.key), revoked_descendants: revoked.descendants.map(toApiKey) },
        200,
      );
    });
}
