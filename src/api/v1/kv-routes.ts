// /{vcs}/kv/{installation}/…: the installation's key-value store (capabilities kv_read and kv_write).
import { createRoute, z } from "@hono/zod-openapi";
import {
  casKv,
  commitKv,
  countKv,
  deleteKv,
  getKv,
  iterKv,
  KvConflictError,
  type KvOperation,
  setKv,
} from "../../db/queries/kv.ts";
import { withTenant } from "../../db/queries/tenant-transaction.ts";
import { authorize } from "../auth/access-token-auth.ts";
import type { ApiDeps } from "./api-deps.ts";
import { ApiError, errorResponses } from "./api-error.ts";
import { bearerSecurity, createRouter, cursorFrom, iso, PageQuery, Timestamp, Vcs } from "./schemas.ts";

/** Largest JSON value a key may hold, measured as its UTF-8 JSON text. */
export const KV_VALUE_LIMIT_BYTES = 64 * 1024;

const KeyText = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[^\u0000-\u001f\u007f]+$/, "keys may not contain control characters");

const KvParams = z.object({
  vcs: Vcs.openapi({ param: { name: "vcs", in: "path" } }),
  installation: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "installation", in: "path" } }),
});
const KeyParams = KvParams.extend({
  key: KeyText.openapi({
    param: { name: "key", in: "path" },
    description: "URL-encode `/` and other reserved characters",
  }),
});
const PrefixParams = KvParams.extend({
  prefix: KeyText.openapi({
    param: { name: "prefix", in: "path" },
    description: "keys starting with this text",
  }),
});

const JsonValue = z
  .unknown()
  .openapi({ description: `any JSON value, at most ${KV_VALUE_LIMIT_BYTES} bytes` });
const withValue = <T extends { value?: unknown }>(body: T) => "value" in body;
const valueMessage = { message: "value is required (any JSON value, null included)", path: ["value"] };

const ExpectedVersion = z
  .number()
  .int()
  .min(0)
  .nullable()
  .openapi({ description: "the version the key must have now; 0 or null: the key must not exist" });

const KvEntry = z
  .object({
    key: z.string(),
    value: JsonValue,
    version: z.number().int(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("KvEntry");
const KvVersion = z.object({ key: z.string(), version: z.number().int() }).openapi("KvVersion");

const SetBody = z.object({ value: JsonValue }).refine(withValue, valueMessage).openapi("KvSetBody");
const CasBody = z
  .object({ value: JsonValue, version: ExpectedVersion })
  .refine(withValue, valueMessage)
  .openapi("KvCasBody");
const Operation = z.discriminatedUnion("op", [
  z.object({ op: z.literal("set"), key: KeyText, value: JsonValue }).refine(withValue, valueMessage),
  z.object({ op: z.literal("delete"), key: KeyText }),
  z
    .object({ op: z.literal("cas"), key: KeyText, value: JsonValue, version: ExpectedVersion })
    .refine(withValue, valueMessage),
]);
const CommitBody = z.object({ ops: z.array(Operation).min(1).max(100) }).openapi("KvCommitBody");

function checkSize(value: unknown, where: string): void {
  const size = Buffer.byteLength(JSON.stringify(value) ?? "null", "utf8");
  if (size > KV_VALUE_LIMIT_BYTES) {
    throw new ApiError(
      413,
      "payload_too_large",
      `${where} is ${size} bytes; the limit is ${KV_VALUE_LIMIT_BYTES}`,
      {
        details: { size, limit: KV_VALUE_LIMIT_BYTES },
      },
    );
  }
}

function conflict(key: string, currentVersion: number | null, index?: number): ApiError {
  return new ApiError(
    409,
    "version_conflict",
    `key ${JSON.stringify(key)} is at version ${currentVersion ?? "none (absent)"}; read it again and retry`,
    { details: { key, current_version: currentVersion, ...(index === undefined ? {} : { index }) } },
  );
}

const tags = ["kv"];
const base = "/{vcs}/kv/{installation}";

const getRoute = createRoute({
  method: "get",
  path: `${base}/key/{key}`,
  summary: "Read a key",
  tags,
  security: bearerSecurity,
  request: { params: KeyParams },
  responses: {
    200: { description: "the entry", content: { "application/json": { schema: KvEntry } } },
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

const putRoute = createRoute({
  method: "put",
  path: `${base}/key/{key}`,
  summary: "Create or replace a key (its version increases by one)",
  tags,
  security: bearerSecurity,
  request: {
    params: KeyParams,
    body: { content: { "application/json": { schema: SetBody } }, required: true },
  },
  responses: {
    200: { description: "the new version", content: { "application/json": { schema: KvVersion } } },
    ...errorResponses(400, 401, 403, 404, 413, 429),
  },
});

const deleteRoute = createRoute({
  method: "delete",
  path: `${base}/key/{key}`,
  summary: "Delete a key",
  tags,
  security: bearerSecurity,
  request: { params: KeyParams },
  responses: {
    200: {
      description: "whether the key existed",
      content: { "application/json": { schema: z.object({ key: z.string(), deleted: z.boolean() }) } },
    },
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

const casRoute = createRoute({
  method: "put",
  path: `${base}/cas/key/{key}`,
  summary: "Compare-and-swap: write only if the key is at `version` (0 or null: only if it does not exist)",
  tags,
  security: bearerSecurity,
  request: {
    params: KeyParams,
    body: { content: { "application/json": { schema: CasBody } }, required: true },
  },
  responses: {
    200: { description: "written; the new version", content: { "application/json": { schema: KvVersion } } },
    ...errorResponses(400, 401, 403, 404, 409, 413, 429),
  },
});

const iterRoute = createRoute({
  method: "get",
  path: `${base}/iter/{prefix}`,
  summary: "Entries whose key starts with the prefix, in key order",
  tags,
  security: bearerSecurity,
  request: {
    params: PrefixParams,
    query: PageQuery.extend({
      d: z.enum(["asc", "desc"]).default("asc").openapi({ description: "key order" }),
    }),
  },
  responses: {
    200: {
      description: "a page of entries",
      content: {
        "application/json": {
          schema: z.object({ items: z.array(KvEntry), next_page: z.string().nullable() }).openapi("KvPage"),
        },
      },
    },
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

const countRoute = createRoute({
  method: "get",
  path: `${base}/count/{prefix}`,
  summary: "Number of keys starting with the prefix",
  tags,
  security: bearerSecurity,
  request: { params: PrefixParams },
  responses: {
    200: {
      description: "the count",
      content: { "application/json": { schema: z.object({ count: z.number().int() }) } },
    },
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

const commitRoute = createRoute({
  method: "post",
  path: `${base}/commit`,
  summary: "Apply set/delete/cas operations atomically: all of them or none",
  description:
    "Operations run in order in one transaction. A failed cas answers 409 with its index and changes nothing.",
  tags,
  security: bearerSecurity,
  request: {
    params: KvParams,
    body: { content: { "application/json": { schema: CommitBody } }, required: true },
  },
  responses: {
    200: {
      description: "every operation applied; the version each key now has (null when deleted)",
      content: {
        "application/json": {
          schema: z.object({
            results: z.array(z.object({ key: z.string(), version: z.number().int().nullable() })),
          }),
        },
      },
    },
    ...errorResponses(400, 401, 403, 404, 409, 413, 429),
  },
});

export function kvRoutes(deps: ApiDeps) {
  return createRouter()
    .openapi(getRoute, async (c) => {
      const { key } = c.req.valid("param");
      authorize(c, "kv_read");
      const installationId = c.get("installation").id;
      const entry = await withTenant(deps.database, installationId, (tx) => getKv(tx, installationId, key));
      if (!entry) throw new ApiError(404, "not_found", `key ${JSON.stringify(key)} does not exist`);
      return c.json(
        {
          key: entry.key,
          value: entry.value,
          version: entry.version,
          created_at: iso(entry.createdAt),
          updated_at: iso(entry.updatedAt),
        },
        200,
      );
    })
    .openapi(putRoute, async (c) => {
      const { key } = c.req.valid("param");
      authorize(c, "kv_write");
      const installationId = c.get("installation").id;
      const { value } = c.req.valid("json");
      checkSize(value, "value");
      const version = await withTenant(deps.database, installationId, (tx) =>
        setKv(tx, installationId, key, value),
      );
      return c.json({ key, version }, 200);
    })
    .openapi(deleteRoute, async (c) => {
      const { key } = c.req.valid("param");
      authorize(c, "kv_write");
      const installationId = c.get("installation").id;
      const deleted = await withTenant(deps.database, installationId, (tx) =>
        deleteKv(tx, installationId, key),
      );
      return c.json({ key, deleted }, 200);
    })
    .openapi(casRoute, async (c) => {
      const { key } = c.req.valid("param");
      authorize(c, "kv_write");
      const installationId = c.get("installation").id;
      const body = c.req.valid("json");
      checkSize(body.value, "value");
      const result = await withTenant(deps.database, installationId, (tx) =>
        casKv(tx, installationId, key, body.value, body.version),
      );
      if (!result.ok) throw conflict(key, result.currentVersion);
      return c.json({ key, version: result.version }, 200);
    })
    .openapi(iterRoute, async (c) => {
      const { prefix } = c.req.valid("param");
      authorize(c, "kv_read");
      const installationId = c.get("installation").id;
      const query = c.req.valid("query");
      const after = cursorFrom(query, 1)?.[0];
      const page = await withTenant(deps.database, installationId, (tx) =>
        iterKv(tx, installationId, prefix, {
          limit: query.limit,
          direction: query.d,
          after: after === undefined ? undefined : String(after),
        }),
      );
      const items = page.items.map((entry) => ({
        key: entry.key,
        value: entry.value,
        version: entry.version,
        created_at: iso(entry.createdAt, query.tz),
        updated_at: iso(entry.updatedAt, query.tz),
      }));
      return c.json({ items, next_page: page.nextPage }, 200);
    })
    .openapi(countRoute, async (c) => {
      const { prefix } = c.req.valid("param");
      authorize(c, "kv_read");
      const installationId = c.get("installation").id;
      const count = await withTenant(deps.database, installationId, (tx) =>
        countKv(tx, installationId, prefix),
      );
      return c.json({ count }, 200);
    })
    .openapi(commitRoute, async (c) => {
      authorize(c, "kv_write");
      const installationId = c.get("installation").id;
      const { ops } = c.req.valid("json");
      for (const [index, operation] of ops.entries()) {
        if (operation.op !== "delete") checkSize(operation.value, `ops.${index}.value`);
      }
      try {
        const results = await withTenant(deps.database, installationId, (tx) =>
          commitKv(tx, installationId, ops as KvOperation[]),
        );
        return c.json({ results }, 200);
      } catch (error) {
        if (error instanceof KvConflictError) throw conflict(error.key, error.currentVersion, error.index);
        throw error;
      }
    });
}
