// `terragate setup reset`: forget the GitHub App the setup page created, so that /setup can create another.
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";
import { type Config, ConfigError, loadConfig } from "../config/env.ts";
import { createDatabase } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { forgetApps, storedApp } from "../db/queries/setup.ts";
import { createLogger } from "../logging/logger.ts";
import { openCliDatabase } from "./open-cli-database.ts";

export const usage = `Usage:
  terragate setup reset [--yes]

The setup page (/setup) creates one GitHub App per server and then refuses to create another.
reset forgets the stored app (its id, private key and webhook secret) so that /setup offers to
create a new one; the server stops using the old app within seconds. The app itself stays on
GitHub: delete it in the app's settings there. Without --yes, reset asks for confirmation (and
refuses when it cannot ask, e.g. without a terminal).

An app configured with APP_ID in the environment is not stored by the setup page; reset does
not touch it.

The database is DATABASE_URL when set, else the embedded PostgreSQL of the \`terragate serve\`
running on the same TERRAGATE_DATA_DIR (started for the command when none runs).`;

export interface SetupCommandIo {
  config: Config;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Asks the person at the terminal; undefined when there is nobody to ask. */
  confirm?: (question: string) => Promise<boolean>;
}

export async function runSetupCommand(args: string[], io: SetupCommandIo): Promise<number> {
  const [name, ...rest] = args;
  if (name === "--help" || name === "-h" || rest.includes("--help") || rest.includes("-h")) {
    io.stdout(`${usage}\n`);
    return 0;
  }
  if (name !== "reset") {
    io.stderr(`${name === undefined ? "" : `terragate setup: unknown subcommand "${name}"\n\n`}${usage}\n`);
    return 2;
  }
  let yes: boolean;
  try {
    yes = parseArgs({ args: rest, options: { yes: { type: "boolean", default: false } }, strict: true })
      .values.yes;
  } catch (error) {
    io.stderr(`terragate setup reset: ${(error as Error).message}\n\n${usage}\n`);
    return 2;
  }
  const location = await openCliDatabase(io.config, createLogger({ LOG_LEVEL: "warn" }));
  const database = createDatabase(location.url, { max: 2, applicationName: "terragate-setup" });
  try {
    await migrate(location.url);
    const app = await storedApp(database.db);
    if (!app) {
      io.stderr(
        `No GitHub App is stored by the setup page${io.config.APP_ID === undefined ? "" : ` (this environment sets APP_ID=${io.config.APP_ID}, which reset does not change)`}; nothing to reset.\n`,
      );
      return 0;
    }
    const described = `GitHub App ${app.slug} (id ${app.appId}, stored ${app.createdAt.toISOString()})`;
    if (!yes) {
      const confirmed = await io.confirm?.(`Forget ${described}? Webhooks for it stop working. [y/N] `);
      if (confirmed === undefined) {
        io.stderr(`terragate setup reset: this forgets ${described}; run again with --yes to confirm.\n`);
        return 1;
      }
      if (!confirmed) {
        io.stderr("Nothing changed.\n");
        return 1;
      }
    }
    await database.db.transaction((tx) => forgetApps(tx));
    io.stdout(
      `Forgot ${described}. Open ${io.config.publicUrl}/setup to create a new app, and delete the old one in its settings on GitHub (${app.htmlUrl}).\n`,
    );
    return 0;
  } finally {
    await database.close();
    await location.close();
  }
}

async function askTerminal(question: string): Promise<boolean> {
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await terminal.question(question)).trim());
  } finally {
    terminal.close();
  }
}

export async function main(args: string[]): Promise<number> {
  let config: Config;
  try {
    // The entry point: the one place the environment is handed to the configuration loader.
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`terragate setup: ${error.message}\n`);
    return 1;
  }
  return runSetupCommand(args, {
    config,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    ...(process.stdin.isTTY ? { confirm: askTerminal } : {}),
  });
}
