// The GitHub Action's entry: runs the work manifest named by the inputs, with log groups and a job summary.
import { randomBytes } from "node:crypto";
import { appendFile } from "node:fs/promises";
import { ConfigError, loadRunnerConfig } from "../src/config/env.ts";
import { runnerCredentials } from "../src/runner/credentials.ts";
import type { DirspaceResult } from "../src/runner/protocol.ts";
import { runManifest } from "../src/runner/run-manifest.ts";
import { readDispatchedApiUrl, ServerUrlRefusedError } from "../src/runner/server-url.ts";
import { jobSummary } from "./job-summary.ts";

/** Workflow command data must not carry raw newlines or percent signs. */
function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function write(line: string): void {
  process.stdout.write(`${line}\n`);
}

function setFailed(message: string): void {
  write(`::error::${escapeData(message)}`);
  process.exitCode = 1;
}

/** Prints untrusted output with workflow commands switched off, so `::` lines in it do nothing. */
function printUntrusted(text: string): void {
  const token = randomBytes(16).toString("hex");
  write(`::stop-commands::${token}`);
  write(text);
  write(`::${token}::`);
}

function printDirspace(result: DirspaceResult): void {
  const summary = result.summary
    ? ` +${result.summary.add} ~${result.summary.change} -${result.summary.destroy}`
    : "";
  write(`::group::${result.success ? "✅" : "❌"} ${result.dir} (${result.workspace})${summary}`);
  for (const step of result.steps) {
    write(`── ${step.name}: ${step.success ? "ok" : `failed (exit code ${step.exit_code ?? "none"})`}`);
    printUntrusted(step.output);
  }
  write("::endgroup::");
}

async function main(env: Record<string, string | undefined>): Promise<void> {
  // Workflow inputs show in the run's page; keep the token out of the log as well, whatever happens next.
  const inputToken = env["INPUT_WORK-TOKEN"]?.trim();
  if (inputToken) write(`::add-mask::${inputToken}`);
  const dispatched = await readDispatchedApiUrl(env["GITHUB_EVENT_NAME"], env["GITHUB_EVENT_PATH"]);
  const config = loadRunnerConfig(env, {}, dispatched);
  for (const warning of config.warnings) write(`::warning::${escapeData(`Terragate: ${warning}`)}`);
  const outcome = await runManifest({
    apiUrl: config.apiUrl,
    vcs: config.vcs,
    manifestId: config.workManifestId,
    credentials: runnerCredentials(config),
    runId: config.runId,
    repoRoot: process.cwd(),
    env: config.processEnv,
    secretEnv: config.secretEnv,
    pluginCacheDir: config.pluginCacheDir,
    enginePath: config.enginePath,
    otlpEndpoint: config.otlpEndpoint,
    serviceName: config.serviceName,
    tempRoot: config.tempDir,
    retry: config.retry,
    log: { info: (line) => write(`terragate: ${line}`), dirspace: printDirspace },
  });
  if (config.stepSummaryPath) await appendFile(config.stepSummaryPath, jobSummary(outcome));
  // Later steps of the job can tell a scheduled drift check from a PR's plan: steps.<id>.outputs.kind.
  const outputPath = env["GITHUB_OUTPUT"];
  if (outputPath && outcome.type !== "done") await appendFile(outputPath, `kind=${outcome.manifest.kind}\n`);
  if (outcome.type === "done") {
    write(`terragate: nothing to run: ${outcome.reason}`);
    return;
  }
  if (outcome.undelivered) {
    setFailed(
      `Terragate could not deliver the results of this ${outcome.manifest.kind} to ${config.apiUrl} after retrying: ${outcome.undelivered}. They are in this job's summary (and the groups above); the PR will show the run as failed.`,
    );
    return;
  }
  if (outcome.failed.length > 0) {
    setFailed(
      `Terragate ${outcome.manifest.kind} failed for ${outcome.failed.join(", ")}; see the groups above`,
    );
  }
}

main(process.env).catch((error: unknown) => {
  if (error instanceof ServerUrlRefusedError) {
    setFailed(`Terragate refused this run: ${error.message}`);
    return;
  }
  if (error instanceof ConfigError) {
    setFailed(`${error.message}\nCheck the inputs of the Terragate step in .github/workflows/terragate.yml.`);
    return;
  }
  setFailed(
    `Terragate could not run the work manifest: ${error instanceof Error ? error.message : String(error)}`,
  );
});
