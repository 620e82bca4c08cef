// Per-request context: the X-Request-Id (accepted or generated), a child logger carrying it, timing and metrics.
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { Logger } from "pino";
import type { Metrics } from "../../server/metrics.ts";
import { withSpan } from "../../tracing/tracing.ts";

declare module "hono" {
  interface ContextVariableMap {
    /** This request's id, echoed in the X-Request-Id response header. */
    requestId: string;
    /** The process logger with this request's id on every line. */
    logger: Logger;
  }
}

const requestIdHeader = "X-Request-Id";
const acceptableRequestId = /^[\w\-=.:]{1,200}$/;

export interface RequestContextOptions {
  logger: Logger;
  metrics: Metrics;
}

export function requestContext(options: RequestContextOptions): MiddlewareHandler {
  const { logger, metrics } = options;
  return async function requestContextMiddleware(c, next) {
    const started = performance.now();
    const incoming = c.req.header(requestIdHeader);
    const requestId = incoming && acceptableRequestId.test(incoming) ? incoming : crypto.randomUUID();
    const requestLogger = logger.child({ requestId });
    c.set("requestId", requestId);
    c.set("logger", requestLogger);
    c.header(requestIdHeader, requestId);
    // The request's span: a webhook delivery starts its trace here; a runner's call carries its
    // `traceparent` and continues the manifest's trace.
    await withSpan(
      `${c.req.method} ${c.req.path}`,
      { "http.request.method": c.req.method, "url.path": c.req.path, "terragate.request_id": requestId },
      async (span) => {
        try {
          await next();
        } finally {
          const route = finish();
          span.updateName(`${c.req.method} ${route}`);
          span.setAttributes({ "http.route": route, "http.response.status_code": c.res.status });
        }
      },
      { kind: "server", parent: c.req.header("traceparent"), root: true },
    );
    function finish(): string {
      const seconds = (performance.now() - started) / 1000;
      const status = c.res.status;
      // The matched route pattern, never the raw path, keeps the label set small.
      // A request no route matched ends at this catch-all middleware.
      const pattern = routePath(c);
      const route = pattern === "/*" || pattern === "*" || pattern === "" ? "unmatched" : pattern;
      metrics.httpRequestDuration.observe({ method: c.req.method, route, status: String(status) }, seconds);
      requestLogger.info(
        { method: c.req.method, path: c.req.path, route, status, durationMs: Math.round(seconds * 1000) },
        "request completed",
      );
      // Errors handled by onError lose the header set above with the replaced response.
      if (!c.res.headers.has(requestIdHeader)) c.res.headers.set(requestIdHeader, requestId);
      return route;
    }
  };
}
