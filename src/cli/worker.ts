// `terragate worker`: a job worker without HTTP, for scaling job processing out beside the servers.
import { runProcess } from "../server/run-process.ts";

export const usage = `Usage: terragate worker

Runs background jobs (webhook evaluation, dispatch, reporting) without serving HTTP. Start as many
as you need; they share the servers' database, so DATABASE_URL and TERRAGATE_ENCRYPTION_KEY are
required. TERRAGATE_WORKER_CONCURRENCY sets the jobs run at once (default 4). SIGINT/SIGTERM stop
taking jobs and let running ones finish (up to 25 s).`;

export async function main(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (args.length > 0) {
    process.stderr.write(`terragate worker: unexpected argument "${args[0]}"\n\n${usage}\n`);
    return 2;
  }
  return runProcess({ command: "worker", env: process.env, http: false, worker: true });
}
