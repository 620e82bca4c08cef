// Tracing: off by default and inert, W3C trace context in and out, log lines carrying trace_id.
import { Writable } from "node:stream";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../logging/logger.ts";
import { startTracing, type TracingHandle, tracesUrl } from "./start-tracing.ts";
import { currentTraceparent, parseTraceparent, traceLogFields, tracingEnabled, withSpan } from "./tracing.ts";

let handle: TracingHandle | undefined;
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
});

function captureLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: createLogger({ LOG_LEVEL: "info" }, destination), lines };
}

describe("tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT)", () => {
  it("runs the work as it is and carries no trace context anywhere", async () => {
    expect(tracingEnabled()).toBe(false);
    const { logger, lines } = captureLogger();
    const result = await withSpan("work", {}, async () => {
      logger.info("inside");
      return currentTraceparent();
    });
    expect(result).toBeUndefined();
    expect(lines[0]).not.toHaveProperty("trace_id");
    expect(traceLogFields()).toEqual({});
  });
});

describe("tracing on", () => {
  it("nests spans, continues a remote parent, starts new roots, and records failures", async () => {
    const exporter = new InMemorySpanExporter();
    handle = await startTracing({ exporter, immediate: true });
    const remote = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const seen = await withSpan(
      "job",
      {},
      async () => {
        const inner = await withSpan("inner", {}, async () => currentTraceparent());
        const fresh = await withSpan("webhook", {}, async () => currentTraceparent(), { root: true });
        return { inner, fresh };
      },
      { parent: remote },
    );
    expect(seen.inner).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    expect(seen.fresh).not.toContain("0af7651916cd43dd8448eb211c80319c");
    await expect(
      withSpan("broken", {}, async () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    const spans = exporter.getFinishedSpans();
    const job = spans.find((span) => span.name === "job");
    expect(job?.parentSpanContext?.spanId).toBe("b7ad6b7169203331");
    expect(spans.find((span) => span.name === "inner")?.parentSpanContext?.spanId).toBe(
      job?.spanContext().spanId,
    );
    const broken = spans.find((span) => span.name === "broken");
    expect(broken?.status).toMatchObject({ code: 2, message: "boom" });
    expect(broken?.events.map((event) => event.name)).toEqual(["exception"]);
  });

  it("puts trace_id and span_id on every log line written inside a span", async () => {
    handle = await startTracing({ exporter: new InMemorySpanExporter(), immediate: true });
    const { logger, lines } = captureLogger();
    const traceparent = await withSpan("request", {}, async () => {
      logger.child({ requestId: "r1" }).info("handled");
      return currentTraceparent();
    });
    logger.info("outside");
    const [, traceId, spanId] = traceparent?.split("-") ?? [];
    expect(lines[0]).toMatchObject({ msg: "handled", requestId: "r1", trace_id: traceId, span_id: spanId });
    expect(lines[1]).not.toHaveProperty("trace_id");
  });
});

describe("trace context values", () => {
  it("accepts W3C traceparent values and refuses malformed or empty ones", () => {
    expect(parseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")).toMatchObject({
      traceId: "0af7651916cd43dd8448eb211c80319c",
      spanId: "b7ad6b7169203331",
      traceFlags: 1,
      isRemote: true,
    });
    expect(parseTraceparent("00-00000000000000000000000000000000-b7ad6b7169203331-01")).toBeUndefined();
    expect(parseTraceparent("ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")).toBeUndefined();
    expect(parseTraceparent("00-0af7651916cd43dd-b7ad6b7169203331-01")).toBeUndefined();
    expect(parseTraceparent("garbage")).toBeUndefined();
  });

  it("builds the OTLP traces URL from the endpoint", () => {
    expect(tracesUrl("http://collector:4318")).toBe("http://collector:4318/v1/traces");
    expect(tracesUrl("http://collector:4318/")).toBe("http://collector:4318/v1/traces");
  });
});
