// Start-up and shutdown of a Terragate process: database, migrations, worker, HTTP, in that order, and back.
import type { Server } from "node:http";
import { hostname } from "node:os";
import { createAdaptorServer } from "@hono/node-server";
import type { Logger } from "pino";
import type { Config } from "../config/env.ts";
import { createDatabase, type DatabaseClient, processPoolSize } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { createPgPool } from "../db/pg-pool.ts";
import { readPoolUsage } from "../db/pool-usage.ts";
import type { WorkerHandle } from "../jobs/worker.ts";
import { loadEncryptionKey } from "./encryption-key.ts";
import { lingerBeforeClosing } from "./lingering-close.ts";
import { createMetrics } from "./metrics.ts";
import { dataDirectory, openDatabaseLocation } from "./open-database.ts";

export interface RuntimeOptions {
  config: Config;
  logger: Logger;
  /** Serve HTTP on config.PORT. */
  http: boolean;
  /** Run the job worker in this process. */
  worker: boolean;
  /** How long shutdown waits for running jobs and open requests (default 25 s). */
  shutdownTimeoutMs?: number;
  /**
   * A stop requested during start-up: what was started is stopped again and startRuntime rejects
   * with the signal's reason, within a few seconds wherever start-up was.
   */
  signal?: AbortSignal;
}

export interface Runtime {
  /** The HTTP port actually listened on (PORT=0 picks a free one). */
  port?: number;
  /** Graceful stop: no new requests, running jobs finish (bounded), pools closed, embedded database stopped. */
  stop: () => Promise<void>;
  /** Settles when the worker stops by itself; rejects when it failed. */
  workerDone?: Promise<void>;
}

export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { config, logger } = options;
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 25_000;
  const cleanups: Array<() => Promise<void>> = [];
  const unwind = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error: unknown) => logger.error({ err: error }, "error during shutdown"));
    }
  };

  const { signal } = options;
  try {
    const dataDir = dataDirectory(config);
    const location = await openDatabaseLocation(config, logger, signal ? { signal } : {});
    const embedded = location.embedded;
    if (embedded) cleanups.push(() => embedded.stop());
    signal?.throwIfAborted();
    const encryptionKey = await loadEncryptionKey(config, dataDir);

    await migrate(location.url, signal ? { signal } : {});
    logger.info("database schema up to date");
    signal?.throwIfAborted();

    if (config.OTEL_EXPORTER_OTLP_ENDPOINT) {
      // The SDK loads only here: a process without an endpoint never holds it.
      const { startTracing } = await import("../tracing/start-tracing.ts");
      const tracing = await startTracing({
        endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
        serviceName: config.OTEL_SERVICE_NAME,
      });
      cleanups.push(() => tracing.shutdown());
      logger.info({ endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT }, "exporting traces over OTLP");
    }
    const metrics = createMetrics();
    const applicationName = `terragate-${hostname()}-${process.pid}`.slice(0, 63);
    const database: DatabaseClient = createDatabase(location.url, {
      applicationName,
      max: processPoolSize(options.worker ? config.TERRAGATE_WORKER_CONCURRENCY : 0),
    });
    cleanups.push(() => database.close());
    metrics.addPool("app", () => readPoolUsage(database, applicationName));

    let worker: WorkerHandle | undefined;
    if (options.worker) {
      const pool = createPgPool(location.url, {
        max: config.TERRAGATE_WORKER_CONCURRENCY + 2,
        applicationName: `${applicationName}-worker`.slice(0, 63),
        // After pool.end() the connections still close in the background; their errors then mean nothing.
        onError: (error) => {
          if (!poolEnded) logger.warn({ err: error }, "worker database connection lost");
        },
      });
      let poolEnded = false;
      cleanups.push(async () => {
        poolEnded = true;
        // Bounded: a connection graphile-worker never gave back must not hold the process open.
        await Promise.race([pool.end(), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
      });
      metrics.addPool("worker", async () => ({
        total: pool.totalCount,
        idle: pool.idleCount,
        waiting: pool.waitingCount,
        max: pool.options.max,
      }));
      signal?.throwIfAborted();
      // Each half loads only in a process that runs it: `terragate worker` holds no HTTP app.
      const { startWorker } = await import("../jobs/worker.ts");
      // Loading the jobs takes a while on a busy machine: a signal meanwhile stops here, before a worker starts.
      signal?.throwIfAborted();
      worker = await startWorker({
        deps: { config, database, logger, encryptionKey },
        pool,
        concurrency: config.TERRAGATE_WORKER_CONCURRENCY,
        metrics,
        // The embedded database has no other worker: what is locked at start-up was left by a killed run.
        soleWorker: embedded !== undefined,
      });
      const running = worker;
      cleanups.push(() => running.stop(shutdownTimeoutMs));
      logger.info({ concurrency: config.TERRAGATE_WORKER_CONCURRENCY }, "job worker started");
    }

    signal?.throwIfAborted();
    let port: number | undefined;
    if (options.http) {
      const { createApp } = await import("../api/app.ts");
      signal?.throwIfAborted();
      const app = createApp({
        config,
        database,
        logger,
        encryptionKey,
        metrics,
        ...(worker ? { workerStatus: worker.status } : {}),
      });
      const server = createHttpServer(app.fetch);
      port = await listen(server, config.PORT);
      cleanups.push(() => closeServer(server, shutdownTimeoutMs));
      logger.info({ port, url: config.publicUrl }, `listening on port ${port}`);
    }
    signal?.throwIfAborted();

    let stopping: Promise<void> | undefined;
    return {
      ...(port === undefined ? {} : { port }),
      ...(worker ? { workerDone: worker.done } : {}),
      stop: () => {
        stopping ??= unwind();
        return stopping;
      },
    };
  } catch (error) {
    await unwind();
    throw error;
  }
}

/**
 * How long an idle keep-alive connection stays open. Node's default, 5 s, is shorter than what sits
 * in front of a server (load balancers keep idle connections 60 s) and than a busy client's timers:
 * such a client sends its next request on a connection the server is closing that instant, and
 * gets a reset (the GitHub benchmark's load generator did, on a loaded machine).
 */
export const keepAliveTimeoutMs = 65_000;

/**
 * The HTTP server for `fetch`, keeping idle connections keepAliveTimeoutMs and draining a request body
 * still arriving when it closes a connection (lingering close), so that its client reads the answer.
 */
export function createHttpServer(fetch: (request: Request) => Response | Promise<Response>): Server {
  const server = createAdaptorServer({ fetch }) as Server;
  server.keepAliveTimeout = keepAliveTimeoutMs;
  // Node requires the headers timeout to exceed the keep-alive timeout.
  server.headersTimeout = keepAliveTimeoutMs + 1_000;
  lingerBeforeClosing(server);
  return server;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "EADDRINUSE"
          ? new Error(`Port ${port} is already in use; stop the other process or set PORT to a free port.`, {
              cause: error,
            })
          : error,
      );
    };
    server.once("error", onError);
    server.listen(port, () => {
      server.removeListener("error", onError);
      const address = server.address();
      resolve(typeof address === "object" && address !== null ? address.port : port);
    });
  });
}

/** Stops accepting connections, lets requests in flight finish (bounded), then drops what is left. */
async function closeServer(server: Server, timeoutMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      server.closeAllConnections();
      resolve();
    }, timeoutMs);
  });
  await Promise.race([closed, timedOut]);
  clearTimeout(timer);
}
