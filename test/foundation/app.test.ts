// The HTTP foundation: /health (200 and 503), /metrics, request ids on responses and log lines, JSON errors without stacks.
import { Writable } from "node:stream";
import { HTTPException } from "hono/http-exception";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createApp } from "../../src/api/app.ts";
import { loadConfig } from "../../src/config/env.ts";
import { createDatabase } from "../../src/db/client.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { createEmptyDatabase, createTestDatabase, type TestDatabase } from "../harness/database.ts";

const config = loadConfig({});
const encryptionKey = Buffer.alloc(32, 7);

function captureLogs() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split("\n")) if (line.trim()) lines.push(JSON.parse(line));
      callback();
    },
  });
  return { lines, logger: createLogger({ LOG_LEVEL: "info" }, destination) };
}

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

describe("GET /health", () => {
  test("200 with the database and worker state when the database answers", async () => {
    const app = createApp({
      config,
      database: database.client,
      logger: captureLogs().logger,
      encryptionKey,
      workerStatus: () => "running",
    });
    const response = await app.request("/health");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: "ok",
      database: "ok",
      worker: "running",
      broken_installations: [],
    });
  });

  test("503 when the database is gone", async () => {
    const doomed = await createEmptyDatabase();
    const client = createDatabase(doomed.url, { max: 2 });
    try {
      const app = createApp({ config, database: client, logger: captureLogs().logger, encryptionKey });
      expect((await app.request("/health")).status).toBe(200);
      await doomed.drop();
      const started = Date.now();
      const response = await app.request("/health");
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({
        status: "unavailable",
        database: "unreachable",
        worker: "absent",
        broken_installations: [],
      });
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await client.close().catch(() => {});
    }
  });

  test("503 when the in-process worker has failed", async () => {
    const app = createApp({
      config,
      database: database.client,
      logger: captureLogs().logger,
      encryptionKey,
      workerStatus: () => "failed",
    });
    const response = await app.request("/health");
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ database: "ok", worker: "failed" });
  });
});

describe("request ids and logs", () => {
  test("an incoming X-Request-Id is echoed and appears on the request's log line", async () => {
    const { lines, logger } = captureLogs();
    const app = createApp({ config, database: database.client, logger, encryptionKey });
    const response = await app.request("/health", { headers: { "X-Request-Id": "req-abc-123" } });
    expect(response.headers.get("X-Request-Id")).toBe("req-abc-123");
    expect(lines).toContainEqual(
      expect.objectContaining({ requestId: "req-abc-123", route: "/health", status: 200, level: "info" }),
    );
  });

  test("a missing or unacceptable request id is replaced by a generated one", async () => {
    const app = createApp({ config, database: database.client, logger: captureLogs().logger, encryptionKey });
    const plain = await app.request("/health");
    expect(plain.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
    const hostile = await app.request("/health", {
      headers: { "X-Request-Id": `${"x".repeat(300)}<script>` },
    });
    expect(hostile.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("errors", () => {
  test("an unexpected error is logged with the request id and answered with JSON that leaks nothing", async () => {
    const { lines, logger } = captureLogs();
    const app = createApp({ config, database: database.client, logger, encryptionKey });
    app.get("/test/boom", () => {
      throw new Error("connection to 10.0.0.5 failed with password hunter2");
    });
    const response = await app.request("/test/boom", { headers: { "X-Request-Id": "boom-1" } });
    expect(response.status).toBe(500);
    expect(response.headers.get("X-Request-Id")).toBe("boom-1");
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      error: { code: "internal", message: expect.stringContaining("boom-1") },
    });
    expect(text).not.toMatch(/hunter2|10\.0\.0\.5|at .*\.ts/);
    const logged = lines.find((line) => line["msg"] === "request failed");
    expect(logged).toMatchObject({ requestId: "boom-1", level: "error" });
    expect(JSON.stringify(logged)).toContain("hunter2");
  });

  test("an HTTPException below 500 keeps its status and message", async () => {
    const app = createApp({ config, database: database.client, logger: captureLogs().logger, encryptionKey });
    app.get("/test/forbidden", () => {
      throw new HTTPException(403, { message: "this API key lacks kv_write" });
    });
    const response = await app.request("/test/forbidden");
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      error: { code: "forbidden", message: "this API key lacks kv_write" },
    });
  });

  test("an unknown route is a JSON 404", async () => {
    const app = createApp({ config, database: database.client, logger: captureLogs().logger, encryptionKey });
    const response = await app.request("/no/such/thing", { method: "POST" });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: { code: "not_found", message: "No route for POST /no/such/thing" },
    });
  });
});

describe("GET /metrics", () => {
  test("reports request durations by route pattern and status in Prometheus text", async () => {
    const app = createApp({ config, database: database.client, logger: captureLogs().logger, encryptionKey });
    app.get("/test/items/:id", (c) => c.json({ id: c.req.param("id") }));
    await app.request("/test/items/1");
    await app.request("/test/items/2");
    await app.request("/missing");
    const response = await app.request("/metrics");
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toContain("text/plain");
    const text = await response.text();
    expect(text).toContain(
      'terragate_http_request_duration_seconds_count{method="GET",route="/test/items/:id",status="200"} 2',
    );
    expect(text).toContain(
      'terragate_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"} 1',
    );
    expect(text).not.toContain("/test/items/1");
  });

  test("each app has its own registry", async () => {
    const first = createApp({
      config,
      database: database.client,
      logger: captureLogs().logger,
      encryptionKey,
    });
    const second = createApp({
      config,
      database: database.client,
      logger: captureLogs().logger,
      encryptionKey,
    });
    await first.request("/health");
    const text = await (await second.request("/metrics")).text();
    expect(text).not.toContain('route="/health"');
  });
});
