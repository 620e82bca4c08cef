// The server's configuration: one zod schema over the environment, read once at start-up.

import { z } from "zod";
import { defaultRetryPolicy, type RetryPolicy } from "../runner/api-client.ts";
import { decideServerUrl, ServerUrlRefusedError, type UrlSource } from "../runner/server-url.ts";
import type { Vcs } from "../vcs/types.ts";

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === "" ? undefined : value));

const port = z.coerce
  .number({ error: "expected a port number" })
  .int("expected a whole number")
  .min(1, "expected a port between 1 and 65535")
  .max(65535, "expected a port between 1 and 65535");

const url = (what: string) =>
  z
    .string()
    .optional()
    .transform((value) => (value === undefined || value.trim() === "" ? undefined : value))
    .refine((value) => value === undefined || URL.canParse(value), `expected ${what}`);

const encryptionKey = optionalString.refine(
  (value) => value === undefined || Buffer.from(value, "base64").length === 32,
  "expected 32 bytes encoded as base64 (generate one with `openssl rand -base64 32`)",
);

const retentionDays = z.coerce
  .number({ error: "expected a number of days" })
  .int("expected a whole number of days")
  .min(1, "expected at least 1 day")
  .max(36_500, "expected at most 36500 days");

/** Every environment variable Terragate reads, with its default and what a valid value looks like. */
export const EnvSchema = z
  .object({
    APP_ID: optionalString.refine(
      (value) => value === undefined || /^\d+$/.test(value),
      "expected a numeric GitHub App id",
    ),
    PRIVATE_KEY: optionalString,
    PRIVATE_KEY_PATH: optionalString,
    WEBHOOK_SECRET: optionalString,
    GHE_HOST: optionalString,
    GHE_PROTOCOL: z.enum(["https", "http"], { error: "expected https or http" }).default("https"),
    GITHUB_API_URL: url("a URL of the GitHub REST API, e.g. https://api.github.com"),
    /** Unset: github.com's Actions issuer, or `{GHE_PROTOCOL}://{GHE_HOST}/_services/token` with GHE_HOST. */
    GITHUB_OIDC_ISSUER: url("the issuer URL of GitHub Actions OIDC tokens"),
    GITHUB_OIDC_JWKS_URL: url("the URL of the OIDC issuer's JWKS"),
    GITLAB_URL: url("the base URL of a GitLab instance, e.g. https://gitlab.com").transform(
      (value) => value ?? "https://gitlab.com",
    ),
    GITLAB_WEBHOOK_SECRET: optionalString,
    /** The GitHub App's OAuth client for dashboard sign-in (else the one stored by /setup). */
    GITHUB_CLIENT_ID: optionalString,
    GITHUB_CLIENT_SECRET: optionalString,
    /** A GitLab OAuth application for dashboard sign-in (scope read_api). */
    GITLAB_CLIENT_ID: optionalString,
    GITLAB_CLIENT_SECRET: optionalString,
    /** People who see the dashboard's admin page: `github:LOGIN` / `gitlab:USERNAME`, comma-separated. */
    TERRAGATE_ADMINS: optionalString.refine(
      (value) =>
        value === undefined ||
        value
          .split(",")
          .map((entry) => entry.trim())
          .filter((entry) => entry !== "")
          .every((entry) => /^(github|gitlab):[A-Za-z0-9][A-Za-z0-9._-]*$/.test(entry)),
      "expected a comma-separated list of github:LOGIN or gitlab:USERNAME",
    ),
    /** Bearer token of the tooling API's admin routes (connecting GitLab); unset turns them off. */
    TERRAGATE_ADMIN_TOKEN: optionalString.refine(
      (value) => value === undefined || value.length >= 32,
      "expected at least 32 characters (generate one with `openssl rand -base64 32`)",
    ),
    PORT: port.default(3000),
    TERRAGATE_URL: url("the public base URL of this server, e.g. https://terragate.example.com"),
    DATABASE_URL: optionalString.refine(
      (value) => value === undefined || /^postgres(ql)?:\/\//.test(value),
      "expected a postgres:// connection URL",
    ),
    TERRAGATE_DATA_DIR: z.string().default(".terragate"),
    TERRAGATE_ENCRYPTION_KEY: encryptionKey,
    TERRAGATE_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(4),
    /** Tooling API requests per second per API key (bursts up to twice that). */
    TERRAGATE_API_RATE_LIMIT: z.coerce.number().min(0.1).max(100_000).default(20),
    TERRAGATE_PLAN_MAX_BYTES: z.coerce
      .number({ error: "expected a number of bytes" })
      .int()
      .min(1024, "expected at least 1024 bytes")
      .default(64 * 1024 * 1024),
    TERRAGATE_RUN_TIMEOUT_MINUTES: z.coerce.number().int().min(1).max(10_080).default(180),
    TERRAGATE_DISPATCH_TIMEOUT_MINUTES: z.coerce.number().int().min(1).max(10_080).default(30),
    /** Days a webhook delivery is kept after it arrived (housekeeping, hourly). */
    TERRAGATE_RETENTION_DELIVERIES_DAYS: retentionDays.default(30),
    /** Days a finished run keeps its step output and terraform outputs. */
    TERRAGATE_RETENTION_OUTPUTS_DAYS: retentionDays.default(90),
    /** Days a finished run's work tokens are kept (a runner retrying `initiate` still gets its answer). */
    TERRAGATE_RETENTION_TOKENS_DAYS: retentionDays.default(1),
    /** OTLP/HTTP endpoint for traces (Jaeger, Tempo, an OpenTelemetry Collector); unset: no tracing. */
    OTEL_EXPORTER_OTLP_ENDPOINT: url("an OTLP/HTTP endpoint URL, e.g. http://otel-collector:4318"),
    /** `service.name` of this process's spans. */
    OTEL_SERVICE_NAME: z.string().trim().min(1).default("terragate"),
    LOG_LEVEL: z
      .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
        error: "expected one of fatal, error, warn, info, debug, trace, silent",
      })
      .default("info"),
  })
  .superRefine((env, ctx) => {
    for (const vcs of ["GITHUB", "GITLAB"] as const) {
      const id = env[`${vcs}_CLIENT_ID`];
      const secret = env[`${vcs}_CLIENT_SECRET`];
      if ((id === undefined) !== (secret === undefined)) {
        ctx.addIssue({
          code: "custom",
          path: [id === undefined ? `${vcs}_CLIENT_ID` : `${vcs}_CLIENT_SECRET`],
          message: `set both ${vcs}_CLIENT_ID and ${vcs}_CLIENT_SECRET, or neither`,
        });
      }
    }
    if (env.APP_ID !== undefined && env.WEBHOOK_SECRET === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["WEBHOOK_SECRET"],
        message: "required when APP_ID is set: webhooks cannot be verified without it",
      });
    }
    if (env.APP_ID !== undefined && env.PRIVATE_KEY === undefined && env.PRIVATE_KEY_PATH === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["PRIVATE_KEY"],
        message: "required when APP_ID is set (or PRIVATE_KEY_PATH pointing at the app's .pem file)",
      });
    }
  });

export type Env = z.infer<typeof EnvSchema>;

export interface Config extends Env {
  /** The GitHub REST API base URL: GitHub.com, GHES (`{protocol}://{host}/api/v3`) or an explicit override. */
  githubApiUrl: string;
  /** Public base URL used in links and as the runner's `api-base-url`. */
  publicUrl: string;
  /** Issuer of the Actions OIDC tokens runners present: GITHUB_OIDC_ISSUER, GHES's, or github.com's. */
  githubOidcIssuer: string;
}

export class ConfigError extends Error {
  override name = "ConfigError";
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
    this.problems = problems;
  }
}

/** Validates the environment once; throws a ConfigError listing every bad variable and what it expects. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = issue.path.join(".") || "(environment)";
      const value = env[String(issue.path[0])];
      const shown = value === undefined ? "unset" : isSecretName(name) ? "set" : JSON.stringify(value);
      return `${name} (${shown}): ${issue.message}`;
    });
    throw new ConfigError(problems);
  }
  const config = parsed.data;
  const githubApiUrl =
    config.GITHUB_API_URL ??
    (config.GHE_HOST ? `${config.GHE_PROTOCOL}://${config.GHE_HOST}/api/v3` : "https://api.github.com");
  const publicUrl = (config.TERRAGATE_URL ?? `http://localhost:${config.PORT}`).replace(/\/+$/, "");
  const githubOidcIssuer = (
    config.GITHUB_OIDC_ISSUER ??
    (config.GHE_HOST
      ? `${config.GHE_PROTOCOL}://${config.GHE_HOST}/_services/token`
      : "https://token.actions.githubusercontent.com")
  ).replace(/\/+$/, "");
  return { ...config, githubApiUrl, publicUrl, githubOidcIssuer };
}

function isSecretName(name: string): boolean {
  return /SECRET|KEY|TOKEN|PASSWORD|DATABASE_URL/.test(name);
}

/**
 * What the runner (`terragate run` and the GitHub Action) reads: the manifest to run, the server, and
 * how to authenticate. Flags override these; the action's inputs arrive as INPUT_* variables.
 */
export const RunnerEnvSchema = z.object({
  TERRAGATE_API_URL: optionalString,
  TERRAGATE_WORK_MANIFEST_ID: optionalString,
  TERRAGATE_WORK_TOKEN: optionalString,
  TERRAGATE_SECRET_ENV: optionalString,
  TERRAGATE_RETRY_MINUTES: z.coerce
    .number({ error: "expected a number of minutes" })
    .min(0)
    .max(24 * 60)
    .optional(),
  TERRAGATE_ENGINE_PATH: optionalString,
  TERRAGATE_VCS: z.enum(["github", "gitlab"], { error: "expected github or gitlab" }).optional(),
  /** A GitLab CI id_token for this server (the component's `id_tokens: TERRAGATE_ID_TOKEN`). */
  TERRAGATE_ID_TOKEN: optionalString,
  GITLAB_CI: optionalString,
  "INPUT_API-URL": optionalString,
  "INPUT_API-BASE-URL": optionalString,
  "INPUT_WORK-MANIFEST-ID": optionalString,
  "INPUT_WORK-TOKEN": optionalString,
  "INPUT_SECRET-ENV": optionalString,
  ACTIONS_ID_TOKEN_REQUEST_URL: optionalString,
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: optionalString,
  GITHUB_ACTIONS: optionalString,
  GITHUB_RUN_ID: optionalString,
  GITHUB_STEP_SUMMARY: optionalString,
  GITHUB_EVENT_NAME: optionalString,
  GITHUB_EVENT_PATH: optionalString,
  CI_JOB_ID: optionalString,
  CI_PIPELINE_ID: optionalString,
  TF_PLUGIN_CACHE_DIR: optionalString,
  RUNNER_TEMP: optionalString,
  OTEL_EXPORTER_OTLP_ENDPOINT: url("an OTLP/HTTP endpoint URL, e.g. http://otel-collector:4318"),
  OTEL_SERVICE_NAME: optionalString,
});

export interface RunnerConfig {
  /** The server: the URL pinned in the workflow file (or, for old workflow files, the dispatch's). */
  apiUrl: string;
  /** Said in the job log before anything runs (e.g. the server URL is not pinned). */
  warnings: string[];
  /** Which endpoints to call: /api/github/v1 or /api/gitlab/v1. */
  vcs: Vcs;
  workManifestId: string;
  /** Single-use work token; absent when an OIDC token is used instead. */
  workToken: string | undefined;
  /** GitHub Actions' OIDC token request endpoint, present when the job grants `id-token: write`. */
  oidc: { requestUrl: string; requestToken: string } | undefined;
  /** An OIDC token the CI already minted for this server (GitLab's id_tokens: TERRAGATE_ID_TOKEN). */
  idToken: string | undefined;
  /** The CI's run id as Terragate dispatched it (GitHub run id, GitLab pipeline id), or "local". */
  runId: string;
  githubActions: boolean;
  stepSummaryPath: string | undefined;
  pluginCacheDir: string | undefined;
  /** TERRAGATE_ENGINE_PATH split on ":": binaries, or directories of them, that `engine.version` may pick. */
  enginePath: string[];
  tempDir: string | undefined;
  /** Names of environment variables whose values are redacted, besides the secret-looking ones. */
  secretEnv: string[];
  /** How uploads are retried while the server answers 5xx or cannot be reached (TERRAGATE_RETRY_MINUTES). */
  retry: RetryPolicy;
  /** OTEL_EXPORTER_OTLP_ENDPOINT: where the run's spans go (unset: no tracing). */
  otlpEndpoint: string | undefined;
  serviceName: string | undefined;
  /** The whole environment, handed to terraform (credentials live there) minus the runner's own secrets. */
  processEnv: Record<string, string>;
}

const runnerOwnSecrets = [
  "TERRAGATE_WORK_TOKEN",
  "TERRAGATE_ID_TOKEN",
  "INPUT_WORK-TOKEN",
  "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
  "ACTIONS_ID_TOKEN_REQUEST_URL",
];

export interface RunnerFlags {
  apiUrl?: string;
  workManifestId?: string;
  workToken?: string;
  vcs?: Vcs;
  secretEnv?: string[];
}

/** Variable names from a list separated by commas, spaces or new lines (the action's `secret-env` input). */
function nameList(text: string | undefined): string[] {
  return (text ?? "").split(/[\s,]+/).filter((name) => name !== "");
}

/** The pinned server URL and the ones the dispatch carried; throws when they name different servers. */
function runnerServerUrl(
  runnerEnv: z.infer<typeof RunnerEnvSchema>,
  flags: RunnerFlags,
  dispatchedInEvent: UrlSource | undefined,
  problems: string[],
): { apiUrl: string; warnings: string[] } | undefined {
  const pinned: UrlSource[] = [
    ...(flags.apiUrl ? [{ value: flags.apiUrl, source: "--api-url" }] : []),
    ...(runnerEnv["INPUT_API-URL"]
      ? [{ value: runnerEnv["INPUT_API-URL"], source: "the action's api-url input" }]
      : []),
    ...(runnerEnv.TERRAGATE_API_URL
      ? [{ value: runnerEnv.TERRAGATE_API_URL, source: "TERRAGATE_API_URL" }]
      : []),
  ];
  const dispatched: UrlSource[] = [
    ...(runnerEnv["INPUT_API-BASE-URL"]
      ? [{ value: runnerEnv["INPUT_API-BASE-URL"], source: "the action's api-base-url input" }]
      : []),
    ...(dispatchedInEvent ? [dispatchedInEvent] : []),
  ];
  for (const url of [...pinned, ...dispatched.slice(0, pinned.length === 0 ? 1 : 0)]) {
    if (!/^https?:\/\//.test(url.value.trim()) || !URL.canParse(url.value.trim())) {
      problems.push(`api url: ${url.source} is not an http(s) URL: ${JSON.stringify(url.value)}`);
      return undefined;
    }
  }
  const decision = decideServerUrl(pinned, dispatched);
  if (decision.type === "refused") throw new ServerUrlRefusedError(decision.reason);
  if (decision.type === "missing") {
    problems.push(
      "api url: the API URL is required (the action's api-url input, TERRAGATE_API_URL or --api-url)",
    );
    return undefined;
  }
  return decision;
}

/**
 * Reads the runner's settings from flags (first) and the environment; throws a ConfigError naming what
 * is missing, or a ServerUrlRefusedError when the dispatch names another server than the pinned one.
 * `dispatchedInEvent` is the `api-base-url` of the workflow_dispatch payload (readDispatchedApiUrl).
 */
export function loadRunnerConfig(
  env: Record<string, string | undefined> = process.env,
  flags: RunnerFlags = {},
  dispatchedInEvent?: UrlSource,
): RunnerConfig {
  const parsed = RunnerEnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`));
  }
  const runnerEnv = parsed.data;
  const problems: string[] = [];
  const server = runnerServerUrl(runnerEnv, flags, dispatchedInEvent, problems);
  const workManifestId =
    flags.workManifestId ?? runnerEnv.TERRAGATE_WORK_MANIFEST_ID ?? runnerEnv["INPUT_WORK-MANIFEST-ID"];
  if (workManifestId === undefined) {
    problems.push(
      "work manifest id: required (--work-manifest-id, TERRAGATE_WORK_MANIFEST_ID or the action's work-manifest-id)",
    );
  }
  const workToken = flags.workToken ?? runnerEnv.TERRAGATE_WORK_TOKEN ?? runnerEnv["INPUT_WORK-TOKEN"];
  const oidc =
    runnerEnv.ACTIONS_ID_TOKEN_REQUEST_URL && runnerEnv.ACTIONS_ID_TOKEN_REQUEST_TOKEN
      ? {
          requestUrl: runnerEnv.ACTIONS_ID_TOKEN_REQUEST_URL,
          requestToken: runnerEnv.ACTIONS_ID_TOKEN_REQUEST_TOKEN,
        }
      : undefined;
  const idToken = runnerEnv.TERRAGATE_ID_TOKEN;
  if (workToken === undefined && oidc === undefined && idToken === undefined) {
    problems.push(
      "credentials: pass a work token (--work-token, TERRAGATE_WORK_TOKEN or the action's work-token), grant the job `id-token: write` (GitHub) or request an id_token as TERRAGATE_ID_TOKEN (GitLab)",
    );
  }
  if (problems.length > 0 || server === undefined || workManifestId === undefined) {
    throw new ConfigError(problems);
  }
  const processEnv: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && !runnerOwnSecrets.includes(name)) processEnv[name] = value;
  }
  const vcs = flags.vcs ?? runnerEnv.TERRAGATE_VCS ?? (runnerEnv.GITLAB_CI === "true" ? "gitlab" : "github");
  return {
    apiUrl: server.apiUrl,
    warnings: server.warnings,
    vcs,
    workManifestId,
    workToken,
    oidc,
    idToken,
    // Terragate dispatches a GitLab pipeline (its work token is bound to the pipeline), a GitHub run.
    runId:
      (vcs === "gitlab"
        ? (runnerEnv.CI_PIPELINE_ID ?? runnerEnv.GITHUB_RUN_ID)
        : (runnerEnv.GITHUB_RUN_ID ?? runnerEnv.CI_PIPELINE_ID)) ?? "local",
    githubActions: runnerEnv.GITHUB_ACTIONS === "true",
    stepSummaryPath: runnerEnv.GITHUB_STEP_SUMMARY,
    pluginCacheDir: runnerEnv.TF_PLUGIN_CACHE_DIR,
    enginePath: (runnerEnv.TERRAGATE_ENGINE_PATH ?? "").split(":").filter((entry) => entry !== ""),
    otlpEndpoint: runnerEnv.OTEL_EXPORTER_OTLP_ENDPOINT,
    serviceName: runnerEnv.OTEL_SERVICE_NAME,
    tempDir: runnerEnv.RUNNER_TEMP,
    secretEnv: [
      ...(flags.secretEnv ?? []).flatMap(nameList),
      ...nameList(runnerEnv["INPUT_SECRET-ENV"]),
      ...nameList(runnerEnv.TERRAGATE_SECRET_ENV),
    ],
    retry: {
      ...defaultRetryPolicy,
      ...(runnerEnv.TERRAGATE_RETRY_MINUTES === undefined
        ? {}
        : { budgetMs: runnerEnv.TERRAGATE_RETRY_MINUTES * 60_000 }),
    },
    processEnv,
  };
}
