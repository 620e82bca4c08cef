// The process logger: pino JSON lines on stdout, secrets redacted, one child logger per request or job.
import { type DestinationStream, type Logger, type LoggerOptions, pino } from "pino";
import type { Config } from "../config/env.ts";
import { traceLogFields } from "../tracing/tracing.ts";

/** Field paths whose values never reach the log, wherever they appear in a logged object. */
export const redactedPaths = [
  "password",
  "token",
  "secret",
  "privateKey",
  "authorization",
  "*.password",
  "*.token",
  "*.secret",
  "*.privateKey",
  "*.authorization",
  'headers["authorization"]',
  'headers["x-gitlab-token"]',
  'headers["cookie"]',
];

export function createLogger(config: Pick<Config, "LOG_LEVEL">, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level: config.LOG_LEVEL,
    base: { service: "terragate" },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: redactedPaths, censor: "[redacted]" },
    // Every line written inside a span carries its trace_id (and span_id), to find the trace from a log.
    mixin: traceLogFields,
  };
  return destination ? pino(options, destination) : pino(options);
}
