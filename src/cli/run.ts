// `terragate run`: runs a work manifest in the current checkout (GitLab CI, other CI, or by hand).

import path from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, loadRunnerConfig } from "../config/env.ts";
import { runnerCredentials } from "../runner/credentials.ts";
import type { DirspaceResult } from "../runner/protocol.ts";
import { runManifest } from "../runner/run-manifest.ts";
import { readDispatchedApiUrl, ServerUrlRefusedError } from "../runner/server-url.ts";
import { Vcs, vcsNames } from "../vcs/types.ts";

const usage = `Usage: terragate run [options]

Runs the terraform steps of one work manifest in the current repository checkout and sends the
results to the Terragate server.

Options:
  --api-url URL            the server's URL (TERRAGATE_API_URL); inside a workflow_dispatch run, a dispatch
                           naming another server is refused before anything runs
  --work-manifest-id ID    the manifest to run (TERRAGATE_WORK_MANIFEST_ID)
  --work-token TOKEN       single-use work token (TERRAGATE_WORK_TOKEN); not needed with an OIDC token
  --vcs github|gitlab      which endpoints to call (TERRAGATE_VCS; default gitlab inside GitLab CI, else github)
  --secret-env NAMES       more variables whose values are redacted, comma-separated; repeatable
                           (TERRAGATE_SECRET_ENV)
  --dir PATH               the repository checkout (default: the current directory)
  --help                   show this help

Exit status: 0 when every dirspace succeeded or nothing was left to run, 1 when any failed,
2 for bad arguments or a refused dispatch.
`;

function describe(result: DirspaceResult): string {
  const summary = result.summary
    ? ` (+${result.summary.add} ~${result.summary.change} -${result.summary.destroy})`
    : "";
  return `${result.success ? "ok" : "FAILED"} ${result.dir} (${result.workspace})${summary}`;
}

export async function main(
  args: string[],
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  let values: ReturnType<typeof parse>["values"];
  function parse() {
    return parseArgs({
      args,
      options: {
        "api-url": { type: "string" },
        "work-manifest-id": { type: "string" },
        "work-token": { type: "string" },
        vcs: { type: "string" },
        "secret-env": { type: "string", multiple: true },
        dir: { type: "string" },
        help: { type: "boolean" },
      },
      strict: true,
    });
  }
  try {
    ({ values } = parse());
  } catch (error) {
    process.stderr.write(`terragate run: ${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  const vcs = values.vcs === undefined ? undefined : Vcs.safeParse(values.vcs).data;
  if (values.vcs !== undefined && vcs === undefined) {
    process.stderr.write(
      `terragate run: --vcs must be ${vcsNames.join(" or ")}, not ${JSON.stringify(values.vcs)}\n`,
    );
    return 2;
  }
  let config: ReturnType<typeof loadRunnerConfig>;
  try {
    const dispatched = await readDispatchedApiUrl(env["GITHUB_EVENT_NAME"], env["GITHUB_EVENT_PATH"]);
    config = loadRunnerConfig(
      env,
      {
        apiUrl: values["api-url"],
        workManifestId: values["work-manifest-id"],
        workToken: values["work-token"],
        vcs,
        secretEnv: values["secret-env"] ?? [],
      },
      dispatched,
    );
  } catch (error) {
    if (error instanceof ServerUrlRefusedError) {
      process.stderr.write(`terragate run: refused: ${error.message}\n`);
      return 2;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`terragate run: ${error.message}\n\n${usage}`);
      return 2;
    }
    throw error;
  }
  for (const warning of config.warnings) process.stderr.write(`terragate: warning: ${warning}\n`);
  const outcome = await runManifest({
    apiUrl: config.apiUrl,
    vcs: config.vcs,
    manifestId: config.workManifestId,
    credentials: runnerCredentials(config),
    runId: config.runId,
    repoRoot: path.resolve(values.dir ?? "."),
    env: config.processEnv,
    secretEnv: config.secretEnv,
    pluginCacheDir: config.pluginCacheDir,
    enginePath: config.enginePath,
    otlpEndpoint: config.otlpEndpoint,
    serviceName: config.serviceName,
    tempRoot: config.tempDir,
    retry: config.retry,
    log: {
      info: (line) => process.stdout.write(`terragate: ${line}\n`),
      dirspace: (result) => {
        process.stdout.write(`\n=== ${describe(result)}\n`);
        for (const step of result.steps) {
          process.stdout.write(`--- ${step.name}: ${step.success ? "ok" : "failed"}\n${step.output}\n`);
        }
      },
    },
  });
  if (outcome.type === "done") {
    process.stdout.write(`terragate: nothing to run: ${outcome.reason}\n`);
    return 0;
  }
  process.stdout.write(`\n${outcome.results.map(describe).join("\n")}\n`);
  if (outcome.undelivered) {
    process.stderr.write(
      `terragate: the results never reached ${config.apiUrl} (${outcome.undelivered}); the output above is their only record\n`,
    );
    return 1;
  }
  if (outcome.failed.length > 0) {
    process.stderr.write(`terragate: failed: ${outcome.failed.join(", ")}\n`);
    return 1;
  }
  return 0;
}
