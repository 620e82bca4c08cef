// The top-level error and not-found handlers: JSON bodies {"error":{code,message}}, logged, never a stack trace.
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** The body of every error response. */
export interface ErrorBody {
  error: { code: string; message: string };
}

const codeByStatus: Record<number, string> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  422: "unprocessable_entity",
  429: "too_many_requests",
  503: "unavailable",
};

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

export function errorHandler(): ErrorHandler {
  return function onError(error: Error, c: Context) {
    const logger = c.get("logger");
    if (error instanceof HTTPException && error.status < 500) {
      logger?.info({ status: error.status, err: error.message }, "request refused");
      const status = error.status as ContentfulStatusCode;
      return c.json(errorBody(codeByStatus[status] ?? "error", error.message || "Request refused"), status);
    }
    logger?.error({ err: error }, "request failed");
    return c.json(
      errorBody(
        "internal_error",
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
