// The runner: initiate, check out the head sha, run dirspaces with bounded parallelism, report results.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { withSpan } from "../tracing/tracing.ts";
import { type RetryPolicy, RunnerApiClient, RunnerClientError, type VcsPath } from "./api-client.ts";
import { ensureCheckout } from "./checkout.ts";
import { EngineResolver } from "./engine-version.ts";
import type { DirspaceResult, Manifest, ResultsBody } from "./protocol.ts";
import { createRedactor } from "./redact.ts";
import { runDirspace } from "./run-dirspace.ts";

/** How the entry point shows progress: plain lines for `terragate run`, groups for GitHub Actions. */
export interface RunnerLog {
  info(line: string): void;
  /** One dirspace's finished output, shown as a unit (groups cannot interleave). */
  dirspace(result: DirspaceResult): void;
}

export interface RunManifestOptions {
  apiUrl: string;
  vcs: VcsPath;
  manifestId: string;
  /** Credentials to try in order (OIDC first when available, then the work token). */
  credentials: Array<{ kind: "oidc" | "work-token"; token: () => Promise<string> }>;
  runId: string;
  repoRoot: string;
  /** The CI environment handed to terraform (without the runner's own tokens). */
  env: Record<string, string>;
  /** Variables the workflow names as secret (the action's `secret-env`, `--secret-env`), besides the manifest's. */
  secretEnv?: string[];
  pluginCacheDir?: string;
  /** TERRAGATE_ENGINE_PATH: engine binaries (or directories of them) to pick from for `engine.version`. */
  enginePath?: string[];
  tempRoot?: string;
  /** How long uploads are retried while the server answers 5xx or cannot be reached (default 10 minutes). */
  retry?: RetryPolicy;
  log: RunnerLog;
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the run's spans, continuing the manifest's trace, are exported there. */
  otlpEndpoint?: string | undefined;
  /** OTEL_SERVICE_NAME (default terragate-runner). */
  serviceName?: string | undefined;
}

export type RunOutcome =
  | { type: "done"; reason: string; bytesSent: number }
  | {
      type: "ran";
      manifest: Manifest;
      results: DirspaceResult[];
      failed: string[];
      bytesSent: number;
      /** Why the results could not be delivered to the server (after retrying); they exist only here then. */
      undelivered?: string;
    };

export class RunnerError extends Error {
  override name = "RunnerError";
}

/** Runs `tasks` with at most `limit` at once, keeping their order in the result. */
export async function mapWithLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

async function currentSha(repoRoot: string, env: Record<string, string>): Promise<string> {
  const head = await execa("git", ["rev-parse", "HEAD"], {
    cwd: repoRoot,
    env,
    extendEnv: false,
    reject: false,
  });
  return head.exitCode === 0 ? String(head.stdout).trim() : "0000000";
}

async function initiate(client: RunnerApiClient, options: RunManifestOptions) {
  const sha = await currentSha(options.repoRoot, options.env);
  let lastError: unknown;
  for (const credential of options.credentials) {
    try {
      return await client.initiate(await credential.token(), { run_id: options.runId, sha });
    } catch (error) {
      lastError = error;
      const refused = error instanceof RunnerClientError && (error.status === 401 || error.status === 403);
      if (!refused) throw error;
      options.log.info(`the server refused the ${credential.kind} credential: ${(error as Error).message}`);
    }
  }
  throw lastError instanceof Error ? lastError : new RunnerError("no credentials to start the run with");
}

/** Sends the results (retried by the client); says why not when the server never took them. */
async function deliver(client: RunnerApiClient, results: ResultsBody): Promise<string | undefined> {
  try {
    await client.putResults(results);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Runs the manifest; with an OTLP endpoint its spans (the run, each dirspace, each call to the server)
 * continue the trace the manifest carries, so a PR's plan is one trace from comment to comment.
 */
export async function runManifest(options: RunManifestOptions): Promise<RunOutcome> {
  if (!options.otlpEndpoint) return runTraced(options);
  const { startTracing } = await import("../tracing/start-tracing.ts");
  const tracing = await startTracing({
    endpoint: options.otlpEndpoint,
    serviceName: options.serviceName ?? "terragate-runner",
  });
  try {
    return await runTraced(options);
  } finally {
    await tracing.shutdown();
  }
}

async function runTraced(options: RunManifestOptions): Promise<RunOutcome> {
  const client = new RunnerApiClient(options.apiUrl, options.vcs, options.manifestId, {
    ...(options.retry ? { retry: options.retry } : {}),
    onRetry: (message) => options.log.info(`the server did not take a call: ${message}`),
  });
  const started = await initiate(client, options);
  if (started.type === "done") {
    return { type: "done", reason: started.reason ?? "nothing left to run", bytesSent: client.bytesSent };
  }
  const manifest = started;
  return withSpan(
    `terragate run ${manifest.kind}`,
    {
      "terragate.manifest_id": manifest.id,
      "terragate.kind": manifest.kind,
      "terragate.dirspaces": manifest.dirspaces.length,
      "vcs.repository": manifest.repository.full_name,
    },
    () => runStarted(client, manifest, options),
    { kind: "consumer", parent: manifest.traceparent, root: true },
  );
}

async function runStarted(
  client: RunnerApiClient,
  manifest: Manifest,
  options: RunManifestOptions,
): Promise<RunOutcome> {
  const redactor = createRedactor(options.env, [...manifest.secret_env, ...(options.secretEnv ?? [])]);
  options.log.info(
    `work manifest ${manifest.id}: ${manifest.kind} of ${manifest.dirspaces.length} dirspace(s) at ${manifest.head.sha.slice(0, 7)}, ${manifest.parallelism} at once`,
  );
  try {
    await ensureCheckout(options.repoRoot, manifest, options.env, options.log.info);
  } catch (error) {
    const message = redactor.redact((error as Error).message);
    const undelivered = await deliver(client, { dirspaces: [], error: message });
    return {
      type: "ran",
      manifest,
      results: [],
      failed: manifest.dirspaces.map((d) => `${d.dir} (${d.workspace})`),
      bytesSent: client.bytesSent,
      ...(undelivered ? { undelivered } : {}),
    };
  }
  const tempDir = await mkdtemp(path.join(options.tempRoot ?? tmpdir(), "terragate-"));
  const pluginCacheDir = options.pluginCacheDir ?? path.join(tempDir, "plugin-cache");
  await mkdir(pluginCacheDir, { recursive: true });
  try {
    const engines = new EngineResolver(options.env, options.enginePath ?? []);
    const settled: Array<Promise<void>> = [];
    const results = await mapWithLimit(manifest.dirspaces, manifest.parallelism, async (dirspace, index) => {
      let result: DirspaceResult;
      const deferred: Array<Promise<void>> = [];
      try {
        result = await withSpan(
          `dirspace ${dirspace.dir} (${dirspace.workspace})`,
          { "terragate.dir": dirspace.dir, "terragate.workspace": dirspace.workspace },
          async (span) => {
            const ran = await runDirspace({
              manifest,
              dirspace,
              index,
              repoRoot: options.repoRoot,
              tempDir,
              pluginCacheDir,
              engines,
              baseEnv: options.env,
              redactor,
              client,
              defer: (work) => deferred.push(work),
            });
            span.setAttribute("terragate.success", ran.success);
            return ran;
          },
        );
      } catch (error) {
        // A bug or an I/O failure in one dirspace must not take the others down.
        result = {
          dir: dirspace.dir,
          workspace: dirspace.workspace,
          success: false,
          steps: [
            { name: "runner", success: false, exit_code: null, output: redactor.redact(String(error)) },
          ],
        };
      }
      const done = result;
      settled.push(Promise.all(deferred).then(() => options.log.dirspace(done)));
      return result;
    });
    await Promise.all(settled);
    const undelivered = await deliver(client, { dirspaces: results });
    const failed = results.filter((r) => !r.success).map((r) => `${r.dir} (${r.workspace})`);
    return {
      type: "ran",
      manifest,
      results,
      failed,
      bytesSent: client.bytesSent,
      ...(undelivered ? { undelivered } : {}),
    };
  } finally {
    await rm(tempDir, { recursive: true, force: true });
  }
}
