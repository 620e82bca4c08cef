#!/usr/bin/env -S node --max-semi-space-size=16
// The `terragate` command: Node runs the TypeScript sources directly (type stripping, Node >= 22.18).
import { runCli } from "../src/main.ts";

runCli();
