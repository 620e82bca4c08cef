// Running one command of a step: argument array, explicit environment, timeout, streamed and capped output.
import { execa } from "execa";
import { type CappedOutput, type CappedOutputLimits, createLineSplitter } from "./capped-output.ts";
import type { Redactor } from "./redact.ts";

export interface ExecOptions {
  cwd: string;
  env: Record<string, string>;
  timeoutSeconds: number;
  redactor: Redactor;
  /** Where this command's combined output goes; one buffer may collect several commands. */
  output: CappedOutput;
  /** Also buffer stdout whole and return it (for `show -json`, `output -json`); never sent anywhere. */
  captureStdout?: boolean;
}

export interface ExecResult {
  success: boolean;
  exitCode: number | null;
  timedOut: boolean;
  stdout: string;
  /** Why it failed, in a sentence: exit code, timeout, or the program could not start. */
  failure: string | undefined;
}

/** The biggest stdout kept for parsing (plan JSON); beyond this the command is reported as failed. */
const MAX_CAPTURED_STDOUT = 512 * 1024 * 1024;

export async function execStep(
  command: string,
  args: readonly string[],
  options: ExecOptions,
): Promise<ExecResult> {
  const { output, redactor } = options;
  const splitter = createLineSplitter((line) => output.push(redactor.redact(line)));
  const display = [command, ...args].join(" ");
  splitter.write(`$ ${display}\n`);
  const subprocess = execa(command, [...args], {
    cwd: options.cwd,
    env: options.env,
    extendEnv: false,
    stdin: "ignore",
    all: !options.captureStdout,
    buffer: { stdout: options.captureStdout === true, stderr: false, all: false },
    maxBuffer: MAX_CAPTURED_STDOUT,
    timeout: options.timeoutSeconds * 1000,
    // Terraform stops cleanly (and releases its state lock) on SIGINT; force-kill only if it hangs.
    killSignal: "SIGINT",
    forceKillAfterDelay: 30_000,
    reject: false,
    stripFinalNewline: false,
  });
  const stream = options.captureStdout ? subprocess.stderr : subprocess.all;
  stream?.setEncoding("utf8");
  stream?.on("data", (chunk: string) => splitter.write(chunk));
  const result = await subprocess;
  splitter.end();
  const stdout = typeof result.stdout === "string" ? result.stdout : "";
  if (result.failed) {
    const failure = result.timedOut
      ? `${display} timed out after ${options.timeoutSeconds} s and was stopped`
      : result.exitCode === undefined
        ? `${display} could not run: ${result.originalMessage ?? result.shortMessage}`
        : `${display} exited with code ${result.exitCode}`;
    output.push(redactor.redact(failure));
    return { success: false, exitCode: result.exitCode ?? null, timedOut: result.timedOut, stdout, failure };
  }
  return { success: true, exitCode: result.exitCode ?? 0, timedOut: false, stdout, failure: undefined };
}

export type { CappedOutputLimits };
