// `terragate serve`: the HTTP server with the job worker in-process (the default for a single machine).
import { runProcess } from "../server/run-process.ts";

export const usage = `Usage: terragate serve

Starts the HTTP server (webhooks, runner API, REST API, /health, /metrics) and a job worker in the
same process. With DATABASE_URL unset, an embedded PostgreSQL keeps its data in TERRAGATE_DATA_DIR
(default .terragate/). Migrations are applied first. SIGINT/SIGTERM stop it gracefully: no new
requests, running jobs get up to 25 s to finish, then the database is closed.

Configuration comes from the environment; see the README's table.`;

export async function main(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (args.length > 0) {
    process.stderr.write(`terragate serve: unexpected argument "${args[0]}"\n\n${usage}\n`);
    return 2;
  }
  // The entry point: the one place the environment is handed to the configuration loader.
  return runProcess({ command: "serve", env: process.env, http: true, worker: true });
}
