// Runs `terragate serve` or `terragate worker` until SIGINT/SIGTERM, then shuts down gracefully; returns the exit code.
import type { Logger } from "pino";
import { ConfigError, loadConfig } from "../config/env.ts";
import { createLogger } from "../logging/logger.ts";
import type { Runtime } from "./runtime.ts";

export interface ProcessOptions {
  command: "serve" | "worker";
  env: Record<string, string | undefined>;
  http: boolean;
  worker: boolean;
}

export async function runProcess(options: ProcessOptions): Promise<number> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(options.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`terragate ${options.command}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  if (options.command === "worker" && config.DATABASE_URL === undefined) {
    process.stderr.write(
      "terragate worker: DATABASE_URL is required. A separate worker shares the server's database; " +
        "the embedded database belongs to `terragate serve`, which already runs a worker in-process.\n",
    );
    return 1;
  }
  const logger = createLogger(config);
  // Signals are watched from the very start: a SIGTERM during start-up aborts it, stops what was
  // started, and the process exits within seconds instead of finishing start-up first.
  const signals = watchSignals(logger);
  const startup = new AbortController();
  void signals.next().then((signal) => startup.abort(new StopRequested(signal)));
  // Loaded only now: a configuration mistake is reported without loading the whole application.
  const { startRuntime } = await import("./runtime.ts");

  let runtime: Runtime;
  try {
    runtime = await startRuntime({
      config,
      logger,
      http: options.http,
      worker: options.worker,
      signal: startup.signal,
    });
  } catch (error) {
    signals.dispose();
    if (startup.signal.aborted) {
      logger.info("stopped during start-up");
      return 0;
    }
    const message = error instanceof Error ? error.message : String(error);
    logger.error({ err: error }, "start-up failed");
    process.stderr.write(`terragate ${options.command}: start-up failed: ${message}\n`);
    return 1;
  }
  if (signals.received()) {
    await runtime.stop();
    signals.dispose();
    logger.info("stopped");
    return 0;
  }

  const workerFailed = runtime.workerDone?.then(
    () => undefined,
    (error: unknown) => error,
  );
  const reason = await Promise.race([
    signals.next().then((signal) => ({ kind: "signal" as const, signal })),
    ...(workerFailed ? [workerFailed.then((error) => ({ kind: "worker" as const, error }))] : []),
  ]);
  if (reason.kind === "signal") {
    logger.info({ signal: reason.signal }, "shutting down: no new requests, waiting for running jobs");
  } else {
    logger.error({ err: reason.error }, "shutting down: the job worker stopped");
  }
  await runtime.stop();
  signals.dispose();
  logger.info("stopped");
  return reason.kind === "worker" ? 1 : 0;
}

class StopRequested extends Error {
  override name = "StopRequested";
  constructor(signal: NodeJS.Signals) {
    super(`${signal} received during start-up`);
  }
}

interface SignalWatch {
  received: () => boolean;
  next: () => Promise<NodeJS.Signals>;
  dispose: () => void;
}

/** First signal: graceful shutdown. Second: a reminder. Third: immediate exit (the embedded database is still told to stop). */
function watchSignals(logger: Logger): SignalWatch {
  let count = 0;
  let first: NodeJS.Signals | undefined;
  const waiters: Array<(signal: NodeJS.Signals) => void> = [];
  const onSignal = (signal: NodeJS.Signals) => {
    count += 1;
    if (count === 1) {
      first = signal;
      for (const waiter of waiters.splice(0)) waiter(signal);
    } else if (count === 2) {
      logger.warn(
        "already shutting down; running jobs get a bounded time to finish (signal again to exit now)",
      );
    } else {
      process.exit(130);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    received: () => first !== undefined,
    next: () =>
      first !== undefined ? Promise.resolve(first) : new Promise((resolve) => waiters.push(resolve)),
    dispose: () => {
      process.removeListener("SIGINT", onSignal);
      process.removeListener("SIGTERM", onSignal);
    },
  };
}
