#!/usr/bin/env -S node --max-semi-space-size=16
// The `terragate` command: a plain-JavaScript Node.js version check, then the TypeScript CLI (type stripping, Node >= 22.18).
import { nodeProblem } from "./preflight.js";

const problem = nodeProblem(process.versions, process.features, process.execPath);
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exitCode = 1;
} else {
  import("../src/main.ts").then(
    (cli) => cli.runCli(),
    (error) => {
      process.stderr.write(`terragate: ${error?.stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
