// Shared request and response schemas of the tooling API: path parameters, pagination, timestamps.

import { OpenAPIHono, z } from "@hono/zod-openapi";
import { CursorError, decodeCursor } from "../../db/queries/cursor.ts";
import { parseTagQuery, type TagQuery, TagQueryError } from "../../domain/tag-query.ts";
import { isoInZone, parseTimeZone } from "../../domain/time-zone.ts";
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
  tz: z
    .string()
    .max(64)
    .default("UTC")
    .refine(isTimeZone, {
      message: "not a time zone: use an IANA name such as UTC, Europe/Paris or America/New_York",
    })
    .openapi({
      description:
        "IANA time zone of the listing's timestamps (ISO 8601 with that zone's offset); default UTC",
      example: "Europe/Paris",
    }),
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

function isTimeZone(name: string): boolean {
  try {
    parseTimeZone(name);
    return true;
  } catch {
    return false;
  }
}

/** ISO 8601: UTC (`Z`) by default, or the listing's `tz` with its offset. */
export function iso(date: Date, timeZone?: string): string;
export function iso(date: Date | null, timeZone?: string): string | null;
export function iso(date: Date | null, timeZone = "UTC"): string | null {
  return date === null ? null : isoInZone(date, timeZone);
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

/** `q`: a tag query on dirspaces (their tags and the implicit `dir:` and `workspace:`). */
export const TagQueryParam = z.string().max(1000).optional().openapi({
  description: "tag query on dirspaces, e.g. `dir:aws/vpc and workspace:prod`",
  example: "prod and not staging",
});

/** Parses `q`, or answers 400 invalid_tag_query with the column of the problem. */
export function parseQuery(q: string | undefined): TagQuery | undefined {
  if (q === undefined) return undefined;
  try {
    return parseTagQuery(q);
  } catch (error) {
    if (error instanceof TagQueryError) {
      throw new ApiError(400, "invalid_tag_query", `q: ${error.message}`, {
        details: { column: error.column, reason: error.reason },
      });
    }
    throw error;
  }
}
