// Traces at the chokepoints: spans through @opentelemetry/api, off (and nearly free) until startTracing turns them on.
import {
  type Attributes,
  context,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from "@opentelemetry/api";

/**
 * Whether spans are recorded in this process. Tracing is process-wide by nature (OpenTelemetry keeps
 * its provider and context manager on globalThis); this flag keeps the off path to one branch.
 */
let enabled = false;

export function setTracingEnabled(value: boolean): void {
  enabled = value;
}

export function tracingEnabled(): boolean {
  return enabled;
}

const tracerName = "terragate";

export interface SpanOptions {
  kind?: "server" | "client" | "internal" | "consumer" | "producer";
  /** W3C `traceparent` of the span this one continues (a job's payload, a runner's request, a manifest). */
  parent?: string | undefined;
  /** Start a new trace even inside another span (a webhook delivery is always the start of its trace). */
  root?: boolean;
}

const kinds: Record<NonNullable<SpanOptions["kind"]>, SpanKind> = {
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  internal: SpanKind.INTERNAL,
  consumer: SpanKind.CONSUMER,
  producer: SpanKind.PRODUCER,
};

/** Stands in for a span while tracing is off: every call does nothing. */
const offSpan: Span = trace.wrapSpanContext({
  traceId: "00000000000000000000000000000000",
  spanId: "0000000000000000",
  traceFlags: TraceFlags.NONE,
});

/**
 * Runs `fn` inside a span named `name`: the span ends when `fn` settles, with an error status and the
 * exception recorded when it throws. With tracing off, `fn` runs as it is.
 */
export function withSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
  options: SpanOptions = {},
): Promise<T> {
  if (!enabled) return fn(offSpan);
  const remote = options.parent === undefined ? undefined : parseTraceparent(options.parent);
  const parentContext = remote
    ? trace.setSpanContext(context.active(), remote)
    : options.root
      ? trace.deleteSpan(context.active())
      : context.active();
  const tracer = trace.getTracer(tracerName);
  return tracer.startActiveSpan(
    name,
    { kind: kinds[options.kind ?? "internal"], attributes },
    parentContext,
    async (span) => {
      try {
        return await fn(span);
      } catch (error) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: error instanceof Error ? error.message : String(error),
        });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** The active span's W3C `traceparent`, to carry the trace into a job, a manifest or a request. */
export function currentTraceparent(): string | undefined {
  if (!enabled) return undefined;
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return undefined;
  const flags = (spanContext.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED ? "01" : "00";
  return `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
}

/** `trace_id` and `span_id` of the active span, for log lines (empty while tracing is off). */
export function traceLogFields(): { trace_id?: string; span_id?: string } {
  if (!enabled) return {};
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

const traceparentPattern = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** A W3C `traceparent` header value as a remote span context; undefined when it is malformed or all zeros. */
export function parseTraceparent(value: string): SpanContext | undefined {
  const match = traceparentPattern.exec(value.trim().toLowerCase());
  if (!match || match[1] === "ff") return undefined;
  const spanContext: SpanContext = {
    traceId: match[2] ?? "",
    spanId: match[3] ?? "",
    traceFlags: Number.parseInt(match[4] ?? "00", 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
  return trace.isSpanContextValid(spanContext) ? spanContext : undefined;
}
