// Sub-apps built on their first request, so pages most processes never serve load no code until asked.
import { type Context, Hono } from "hono";
import type { Logger } from "pino";
import { errorHandler, notFoundHandler } from "./middleware/error-handler.ts";

interface Forwarded {
  logger: Logger;
  requestId: string;
}

/**
 * Mounts at `base` (the path itself and everything below it) a sub-app whose module is imported on
 * the first request and reused after, as `app.route(base, sub)` would mount it. The request keeps
 * its logger and request id, and errors get the app's JSON error shape. A module that failed to
 * load is tried again on the next request.
 */
export function mountLazily(app: Hono, base: string, load: () => Promise<Hono>): void {
  let routes: Promise<Hono> | undefined;
  const loaded = (): Promise<Hono> => {
    routes ??= load()
      .then((sub) => {
        const wrapper = new Hono<{ Bindings: Forwarded }>();
        wrapper.use("*", async (c, next) => {
          c.set("logger", c.env.logger);
          c.set("requestId", c.env.requestId);
          await next();
        });
        wrapper.onError(errorHandler());
        wrapper.notFound(notFoundHandler());
        return wrapper.route(base, sub) as unknown as Hono;
      })
      .catch((error: unknown) => {
        routes = undefined;
        throw error;
      });
    return routes;
  };
  const forward = async (c: Context) => {
    const forwarded: Forwarded = { logger: c.get("logger"), requestId: c.get("requestId") };
    return (await loaded()).fetch(c.req.raw, forwarded);
  };
  app.all(base, forward);
  app.all(`${base}/*`, forward);
}
