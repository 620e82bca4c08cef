#!/usr/bin/env node
// The `terragate` command: Node runs the TypeScript sources directly (type stripping, Node >= 22.18).
import { runCli } from "../src/main.ts";

runCli();
