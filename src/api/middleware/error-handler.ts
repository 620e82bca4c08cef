// The top-level error and not-found handlers: the API's one error shape (api-error.ts), logged, never a stack trace.
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { type ApiErrorCode, errorBody } from "../v1/api-error.ts";

const codeByStatus: Partial<Record<number, ApiErrorCode>> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  422: "validation_failed",
  429: "rate_limited",
  503: "unavailable",
};

export function errorHandler(): ErrorHandler {
  return function onError(error: Error, c: Context) {
    const logger = c.get("logger");
    if (error instanceof HTTPException && error.status < 500) {
      logger?.info({ status: error.status, err: error.message }, "request refused");
      const status = error.status as ContentfulStatusCode;
      return c.json(
        errorBody(codeByStatus[status] ?? "bad_request", error.message || "Request refused"),
        status,
      );
    }
    logger?.error({ err: error }, "request failed");
    return c.json(
      errorBody(
        "internal",
        `Internal server error; quote request id ${c.get("requestId") ?? "-"} when reporting it`,
      ),
      500,
    );
  };
}

export function notFoundHandler(): NotFoundHandler {
  return function onNotFound(c: Context) {
    return c.json(errorBody("not_found", `No route for ${c.req.method} ${c.req.path}`), 404);
  };
}
