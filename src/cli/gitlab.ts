// `terragate gitlab connect`: connect a GitLab group or project (token check, webhook, sealed token) from the server's CLI.
import { parseArgs } from "node:util";
import {
  connectGitlabInstallation,
  describeConnection,
  GitlabConnectError,
} from "../api/gitlab/connect-installation.ts";
import { type Config, ConfigError, loadConfig } from "../config/env.ts";
import { createDatabase } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { GitlabConnectionConflictError } from "../db/queries/gitlab-connections.ts";
import { createLogger } from "../logging/logger.ts";
import { EncryptionKeyError, loadEncryptionKey } from "../server/encryption-key.ts";
import { dataDirectory } from "../server/open-database.ts";
import { VcsError } from "../vcs/types.ts";
import { openCliDatabase } from "./open-cli-database.ts";

export const usage = `Usage:
  terragate gitlab connect --group PATH --token TOKEN [--url URL]
  terragate gitlab connect --project PATH --token TOKEN [--url URL]

Connects a GitLab group (with its subgroups and projects) or a single project to Terragate:
checks that the token works and has the api scope, creates or updates the webhook on the group
or project (URL TERRAGATE_URL/api/v1/gitlab/events; merge request, comment, pipeline, job and push
events; a new secret token, or GITLAB_WEBHOOK_SECRET when set), and stores the token sealed with
the encryption key. Running it again updates the same webhook and replaces the stored token.

  --group PATH     the group's full path, e.g. acme or acme/platform (needs a group access token, Owner role)
  --project PATH   the project's path, e.g. acme/infra (needs a project access token, Maintainer role)
  --token TOKEN    a group or project access token with the api scope
  --url URL        the GitLab instance (default GITLAB_URL, https://gitlab.com)

The database is DATABASE_URL when set, else the embedded PostgreSQL of the \`terragate serve\`
running on the same TERRAGATE_DATA_DIR (started for the command when none runs).`;

export interface GitlabCommandIo {
  config: Config;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

class UsageError extends Error {
  override name = "UsageError";
}

function parseConnect(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    options: {
      group: { type: "string" },
      project: { type: "string" },
      token: { type: "string" },
      url: { type: "string" },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if ((values.group === undefined) === (values.project === undefined)) {
    throw new UsageError("give exactly one of --group PATH or --project PATH");
  }
  if (!values.token)
    throw new UsageError("--token is required (a group or project access token with the api scope)");
  const kind = values.group !== undefined ? ("group" as const) : ("project" as const);
  return { kind, path: (values.group ?? values.project) as string, token: values.token, url: values.url };
}

/** Runs `terragate gitlab …` with an explicit configuration and output (the testable core of `main`). */
export async function runGitlabCommand(args: string[], io: GitlabCommandIo): Promise<number> {
  const [name, ...rest] = args;
  if (
    name === undefined ||
    name === "--help" ||
    name === "-h" ||
    rest.includes("--help") ||
    rest.includes("-h")
  ) {
    io.stdout(`${usage}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name !== "connect") {
    io.stderr(`terragate gitlab: unknown subcommand "${name}"\n\n${usage}\n`);
    return 2;
  }
  let input: ReturnType<typeof parseConnect>;
  try {
    input = parseConnect(rest);
  } catch (error) {
    io.stderr(
      `terragate gitlab connect: ${(error as Error).message}\n\nRun \`terragate gitlab --help\` for usage.\n`,
    );
    return 2;
  }
  const logger = createLogger({ LOG_LEVEL: "warn" });
  const location = await openCliDatabase(io.config, logger);
  const database = createDatabase(location.url, { max: 2, applicationName: "terragate-gitlab" });
  try {
    const encryptionKey = await loadEncryptionKey(io.config, dataDirectory(io.config));
    await migrate(location.url);
    const result = await connectGitlabInstallation({ config: io.config, database, encryptionKey }, input);
    io.stdout(`${describeConnection(result).join("\n")}\n`);
    return 0;
  } catch (error) {
    if (
      error instanceof GitlabConnectError ||
      error instanceof GitlabConnectionConflictError ||
      error instanceof EncryptionKeyError ||
      error instanceof VcsError
    ) {
      io.stderr(`terragate gitlab connect: ${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await database.close();
    await location.close();
  }
}

export async function main(args: string[]): Promise<number> {
  let config: Config;
  try {
    // The entry point: the one place the environment is handed to the configuration loader.
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`terragate gitlab: ${error.message}\n`);
    return 1;
  }
  return runGitlabCommand(args, {
    config,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
}
