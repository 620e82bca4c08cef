// Prometheus instruments for one server or worker process, on a registry of its own (never prom-client's global one).
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** A connection pool's state at scrape time. */
export interface PoolUsage {
  /** Connections open now. */
  total: number;
  /** Open connections not running a query. */
  idle: number;
  /** Queries waiting for a connection. */
  waiting: number;
  max: number;
}

export interface Metrics {
  registry: Registry;
  httpRequestDuration: Histogram<"method" | "route" | "status">;
  jobDuration: Histogram<"task" | "outcome">;
  jobFailures: Counter<"task">;
  /** Rows housekeeping removed (or, for run outputs, emptied) by what they were. */
  housekeepingRowsRemoved: Counter<"what">;
  /** Reports `read()`'s figures under `pool="<name>"` on every scrape. */
  addPool: (name: string, read: () => Promise<PoolUsage | undefined>) => void;
}

export function createMetrics(options: { processMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "terragate_" });
  const pools = new Map<string, () => Promise<PoolUsage | undefined>>();

  const httpRequestDuration = new Histogram({
    name: "terragate_http_request_duration_seconds",
    help: "HTTP request duration by method, route pattern and status code.",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const jobDuration = new Histogram({
    name: "terragate_job_duration_seconds",
    help: "Background job run time by task and outcome (success or error).",
    labelNames: ["task", "outcome"] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const jobFailures = new Counter({
    name: "terragate_job_failures_total",
    help: "Background job attempts that threw, by task (retried until max attempts).",
    labelNames: ["task"] as const,
    registers: [registry],
  });
  const housekeepingRowsRemoved = new Counter({
    name: "terragate_housekeeping_rows_removed_total",
    help: "Rows housekeeping removed past their retention, by what (webhook_deliveries, run_outputs, work_tokens, drift_firings, job_queues, task_identifiers).",
    labelNames: ["what"] as const,
    registers: [registry],
  });
  new Gauge({
    name: "terragate_db_pool_connections",
    help: "Database pool connections by pool and state (busy, idle, waiting for a connection, max).",
    labelNames: ["pool", "state"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const [pool, read] of pools) {
        const usage = await read().catch(() => undefined);
        if (!usage) continue;
        this.set({ pool, state: "busy" }, Math.max(0, usage.total - usage.idle));
        this.set({ pool, state: "idle" }, usage.idle);
        this.set({ pool, state: "waiting" }, usage.waiting);
        this.set({ pool, state: "max" }, usage.max);
      }
    },
  });

  return {
    registry,
    httpRequestDuration,
    jobDuration,
    jobFailures,
    housekeepingRowsRemoved,
    addPool: (name, read) => {
      pools.set(name, read);
    },
  };
}
