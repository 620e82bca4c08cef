// Errors of the HTTP API: one JSON shape `{"error": {"code", "message", "details"}}` for every failure
// (the tooling API's handlers and the server's top-level handler alike; the runner endpoints speak the
// runner protocol's own `{error, issues}`).
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ZodError } from "zod";

export const apiErrorCodes = [
  "bad_request",
  "validation_failed",
  "invalid_cursor",
  "invalid_tag_query",
  "unauthorized",
  "token_expired",
  "forbidden",
  "not_found",
  "method_not_allowed",
  "version_conflict",
  "conflict",
  "payload_too_large",
  "unsupported_media_type",
  "rate_limited",
  "internal",
  "bad_gateway",
  "unavailable",
] as const;
export type ApiErrorCode = (typeof apiErrorCodes)[number];

export const ErrorResponse = z
  .object({
    error: z.object({
      code: z.enum(apiErrorCodes),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .openapi("Error");
export type ErrorResponse = z.infer<typeof ErrorResponse>;

/** Thrown by handlers and middleware; the API's error handler turns it into the JSON error shape. */
export class ApiError extends Error {
  override name = "ApiError";
  readonly status: ContentfulStatusCode;
  readonly code: ApiErrorCode;
  readonly details: unknown;
  readonly headers: Record<string, string>;
  constructor(
    status: ContentfulStatusCode,
    code: ApiErrorCode,
    message: string,
    options: { details?: unknown; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.status = status;
    this.code = code;
    this.details = options.details;
    this.headers = options.headers ?? {};
  }
}

export function errorBody(code: ApiErrorCode, message: string, details?: unknown): ErrorResponse {
  return { error: { code, message, ...(details === undefined ? {} : { details }) } };
}

/** Zod issues as `{path, message}` so a client can point at the field that is wrong. */
export function validationDetails(error: ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message }));
}

/** The `defaultHook` of every OpenAPI sub-app: a failed request validation becomes a 400 with the issues. */
export function validationHook(
  result: { success: true } | { success: false; error: ZodError; target: string },
  c: Context,
): Response | undefined {
  if (result.success) return undefined;
  return c.json(
    errorBody(
      "validation_failed",
      `the request's ${result.target} is invalid; see details for each problem`,
      validationDetails(result.error),
    ),
    400,
  );
}

/** The common error responses, for route declarations. */
export function errorResponses(...statuses: (400 | 401 | 403 | 404 | 409 | 413 | 429)[]) {
  const descriptions = {
    400: "invalid request (details lists each problem with its path)",
    401: "missing, invalid or expired access token",
    403: "the token lacks the capability this route needs",
    404: "not found (or not visible to this token's installation)",
    409: "version conflict",
    413: "request body too large",
    429: "rate limit exceeded; retry after the Retry-After header's seconds",
  } as const;
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      { description: descriptions[status], content: { "application/json": { schema: ErrorResponse } } },
    ]),
  ) as Record<
    number,
    { description: string; content: { "application/json": { schema: typeof ErrorResponse } } }
  >;
}
