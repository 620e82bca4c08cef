// GET /metrics: the process's Prometheus registry in the text exposition format.
import { Hono } from "hono";
import type { Metrics } from "../server/metrics.ts";

export function metricsRoutes(metrics: Metrics): Hono {
  const app = new Hono();
  app.get("/metrics", async (c) => {
    const body = await metrics.registry.metrics();
    return c.body(body, 200, { "Content-Type": metrics.registry.contentType });
  });
  return app;
}
