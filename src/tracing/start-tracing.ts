// Turns tracing on: loads the OpenTelemetry SDK (only then), registers it, and exports spans over OTLP or to a given exporter.
import { context, trace } from "@opentelemetry/api";
import type { SpanExporter } from "@opentelemetry/sdk-trace";
import { setTracingEnabled } from "./tracing.ts";

export interface TracingOptions {
  /** `OTEL_EXPORTER_OTLP_ENDPOINT`: spans go to `{endpoint}/v1/traces` as OTLP over HTTP (JSON). */
  endpoint?: string | undefined;
  /** An exporter of one's own instead (tests: an in-memory exporter). */
  exporter?: SpanExporter;
  /** `service.name` of every span (`OTEL_SERVICE_NAME`, default terragate). */
  serviceName?: string;
  /** Export each span as it ends instead of in batches (tests). */
  immediate?: boolean;
}

export interface TracingHandle {
  /** Sends every ended span now. */
  flush: () => Promise<void>;
  /** Flushes, then turns tracing off again. */
  shutdown: () => Promise<void>;
}

/** The OTLP/HTTP traces URL for a signal-agnostic endpoint, as the OpenTelemetry specification builds it. */
export function tracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, "")}/v1/traces`;
}

export async function startTracing(options: TracingOptions): Promise<TracingHandle> {
  const [
    { TracerProvider, BatchSpanProcessor, SimpleSpanProcessor },
    { AsyncLocalStorageContextManager },
    resources,
  ] = await Promise.all([
    import("@opentelemetry/sdk-trace"),
    import("@opentelemetry/context-async-hooks"),
    import("@opentelemetry/resources"),
  ]);
  let exporter = options.exporter;
  if (!exporter) {
    if (!options.endpoint) throw new Error("startTracing needs an OTLP endpoint or an exporter");
    const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-http");
    exporter = new OTLPTraceExporter({ url: tracesUrl(options.endpoint) });
  }
  const processor = options.immediate
    ? new SimpleSpanProcessor({ exporter })
    : new BatchSpanProcessor({ exporter });
  const provider = new TracerProvider({
    resource: resources.resourceFromAttributes({ "service.name": options.serviceName ?? "terragate" }),
    spanProcessors: [processor],
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(provider);
  setTracingEnabled(true);
  let stopped: Promise<void> | undefined;
  return {
    flush: () => provider.forceFlush(),
    shutdown: () => {
      stopped ??= (async () => {
        await provider.forceFlush().catch(() => {});
        setTracingEnabled(false);
        await provider.shutdown().catch(() => {});
        trace.disable();
        context.disable();
      })();
      return stopped;
    },
  };
}
