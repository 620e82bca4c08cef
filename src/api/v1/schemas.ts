// Shared request and response schemas of the tooling API: path parameters, pagination, timestamps.

import { OpenAPIHono, z } from "@hono/zod-openapi";
import { CursorError, decodeCursor } from "../../db/queries/cursor.ts";
import { vcsNames } from "../../vcs/types.ts";
import type { ApiEnv } from "../auth/access-token-auth.ts";
import { ApiError, validationHook } from "./api-error.ts";

export const Vcs = z.enum(vcsNames).openapi({ description: "github or gitlab" });

export const InstallationParams = z.object({
  vcs: Vcs.openapi({ param: { name: "vcs", in: "path" } }),
  installation: z
    .string()
    .min(1)
    .max(64)
    .openapi({
      param: { name: "installation", in: "path" },
      description: "the installation's id on the VCS (GitHub installation id, GitLab group or project id)",
      example: "12345678",
    }),
});

export const PageQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(20)
    .openapi({ description: "page size, 1 to 100 (default 20)" }),
  next_page: z
    .string()
    .max(1000)
    .optional()
    .openapi({ description: "the opaque `next_page` cursor of the previous page" }),
  d: z
    .enum(["asc", "desc"])
    .default("desc")
    .openapi({ description: "sort by creation time: desc (newest first, default) or asc" }),
});
export type PageQuery = z.infer<typeof PageQuery>;

/** A paginated listing's envelope: `items` and the cursor of the next page (null on the last page). */
export function pageOf<T extends z.ZodType>(item: T, name: string) {
  return z
    .object({
      items: z.array(item),
      next_page: z
        .string()
        .nullable()
        .openapi({ description: "pass as `next_page` for the next page; null at the end" }),
    })
    .openapi(name);
}

export const Timestamp = z.string().openapi({ format: "date-time", example: "2026-01-31T12:00:00.000Z" });

export function iso(date: Date): string;
export function iso(date: Date | null): string | null;
export function iso(date: Date | null): string | null {
  return date === null ? null : date.toISOString();
}

/** Decodes `next_page` for a listing keyed by `length` values, or answers 400 invalid_cursor. */
export function cursorFrom(query: PageQuery, length: number): (string | number)[] | undefined {
  if (query.next_page === undefined) return undefined;
  try {
    return decodeCursor(query.next_page, length);
  } catch (error) {
    if (error instanceof CursorError) throw new ApiError(400, "invalid_cursor", error.message);
    throw error;
  }
}

/** A sub-app whose request validation failures answer in the API's error shape. */
export function createRouter(): OpenAPIHono<ApiEnv> {
  return new OpenAPIHono<ApiEnv>({ defaultHook: (result, c) => validationHook(result, c) });
}

export const bearerSecurity = [{ accessToken: [] }];
