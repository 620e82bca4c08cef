#!/usr/bin/env -S node --max-semi-space-size=16 --max-old-space-size=1024
// The `terragate` command: a plain-JavaScript Node.js version check, then the TypeScript CLI (type stripping, Node >= 22.18).
import nodeModule from "node:module";
import { nodeProblem } from "./preflight.js";

const problem = nodeProblem(process.versions, process.features, process.execPath);
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exitCode = 1;
} else {
  // Before the first TypeScript file: with a warm cache main.ts and everything after it are read
  // already stripped, so Node never loads its TypeScript stripper (about 17 MB resident). The cache
  // lives where NODE_COMPILE_CACHE says, else in the OS temp dir; NODE_DISABLE_COMPILE_CACHE=1 turns it off.
  // Read off the default export, not imported by name: an old Node (no enableCompileCache) must still
  // reach the version check above instead of failing to link this file.
  nodeModule.enableCompileCache();
  import("../src/main.ts").then(
    (cli) => cli.runCli(),
    (error) => {
      process.stderr.write(`terragate: ${error?.stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
