// `terragate run` as one self-contained file (action/dist/terragate-run.js): what the GitLab CI component
// downloads and starts with Node — the npm package runs TypeScript, which Node does not strip under node_modules.
import { main } from "../src/cli/run.ts";

const args = process.argv.slice(2);
main(args[0] === "run" ? args.slice(1) : args).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `terragate run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
