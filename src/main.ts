#!/usr/bin/env node
// The `terragate` command line: dispatches to one module per subcommand, loaded only when used.
import { terragateVersion } from "./config/version.ts";
import { didYouMean } from "./domain/suggest.ts";
import { prepareModuleLoading } from "./server/module-loading.ts";

interface Command {
  summary: string;
  load: () => Promise<{ main: (args: string[]) => Promise<number> }>;
}

/** Every subcommand; each module exports `main(args)` resolving to the process exit code. */
const commands: Record<string, Command> = {
  serve: {
    summary: "run the HTTP server with an in-process job worker",
    load: () => import("./cli/serve.ts"),
  },
  worker: { summary: "run a job worker only (scale-out)", load: () => import("./cli/worker.ts") },
  migrate: { summary: "apply pending database migrations and exit", load: () => import("./cli/migrate.ts") },
  run: {
    summary: "run a work manifest's terraform steps in this checkout (CI)",
    load: () => import("./cli/run.ts"),
  },
  config: {
    summary: "validate .terragate/config.yml and list its dirspaces; print its stack graph or JSON Schema",
    load: () => import("./cli/config.ts"),
  },
  "api-key": { summary: "create, list and revoke tooling API keys", load: () => import("./cli/api-key.ts") },
  setup: {
    summary: "reset: forget the GitHub App the setup page created, to create another",
    load: () => import("./cli/setup.ts"),
  },
  gitlab: {
    summary: "connect a GitLab group or project (token, webhook)",
    load: () => import("./cli/gitlab.ts"),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands).map(
    ([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`,
  );
  return [
    "Usage: terragate <command> [options]",
    "",
    "Commands:",
    ...lines,
    "",
    "Options:",
    "  --help     show this help",
    "  --version  print the version",
    "",
    "Run `terragate <command> --help` for a command's options.",
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-v") {
    process.stdout.write(`${terragateVersion()}\n`);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    const suggestion = didYouMean(name, Object.keys(commands));
    const hint = suggestion ? ` Did you mean \`terragate ${suggestion}\`?` : "";
    process.stderr.write(`terragate: unknown command "${name}".${hint}\n\n${usage()}\n`);
    return 2;
  }
  const module = await command.load();
  return module.main(args);
}

/** Runs the CLI with the process's arguments and sets the exit code. */
export function runCli(): void {
  // Before any subcommand loads: every module after this benefits (compile cache, drizzle shortcut).
  prepareModuleLoading();
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`terragate: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}

if (import.meta.main) runCli();
