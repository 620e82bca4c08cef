// One runner per workflow step kind (init, plan, apply, run), sharing one dirspace's state.
import { readFile, writeFile } from "node:fs/promises";
import { CappedOutput } from "./capped-output.ts";
import type { EngineCommands } from "./engine.ts";
import { type ExecResult, execStep } from "./exec-step.ts";
import type { ChangeSummary, DirspaceResult, WorkflowStep } from "./protocol.ts";
import type { DirspaceRunContext } from "./run-dirspace.ts";
import { summarizePlanJson } from "./summarize-plan.ts";

/** What the steps of one dirspace share: where they run, with what, and what earlier steps found. */
export interface DirspaceRun {
  context: DirspaceRunContext;
  cwd: string;
  /** The engine's environment; `env` steps add to it for the steps after them. */
  env: Record<string, string>;
  commands: EngineCommands;
  planFile: string;
  planReady: boolean;
  workspaceSelected: boolean;
  summary?: ChangeSummary;
  hasChanges?: boolean;
  result: DirspaceResult;
}

/** A step's end: the last command it ran, and a sentence when it failed outside a command. */
export interface StepOutcome {
  exec?: ExecResult | undefined;
  failure?: string;
}

export type RunnableStep = Exclude<WorkflowStep, { type: "env" }>;

/** Output kept of helper commands (show -json, output -json): only their errors matter. */
const smallOutput = { headChars: 8192, tailChars: 8192 };

interface ExecExtra {
  captureStdout?: boolean;
  timeout?: number | undefined;
}

function execEngine(run: DirspaceRun, args: string[], output: CappedOutput, extra: ExecExtra = {}) {
  return execProgram(run, run.commands.binary, args, output, extra);
}

function execProgram(
  run: DirspaceRun,
  program: string,
  args: string[],
  output: CappedOutput,
  extra: ExecExtra = {},
) {
  return execStep(program, args, {
    cwd: run.cwd,
    env: run.env,
    timeoutSeconds: extra.timeout ?? run.context.manifest.step_timeout_seconds,
    redactor: run.context.redactor,
    output,
    captureStdout: extra.captureStdout,
  });
}

/** Selects (or creates) the dirspace's workspace once; undefined when nothing had to be done. */
async function selectWorkspace(
  run: DirspaceRun,
  output: CappedOutput,
  timeout: number | undefined,
): Promise<ExecResult | undefined> {
  if (run.workspaceSelected) return undefined;
  const selected = await execEngine(
    run,
    run.commands.selectWorkspace(run.context.dirspace.workspace),
    output,
    {
      timeout,
    },
  );
  if (selected.success) run.workspaceSelected = true;
  return selected;
}

async function runInit(
  run: DirspaceRun,
  step: Extract<RunnableStep, { type: "init" }>,
  output: CappedOutput,
): Promise<StepOutcome> {
  const timeout = step.timeout_seconds;
  const init = await execEngine(run, run.commands.init(step.extra_args), output, { timeout });
  if (!init.success) return { exec: init };
  return { exec: (await selectWorkspace(run, output, timeout)) ?? init };
}

async function runPlan(
  run: DirspaceRun,
  step: Extract<RunnableStep, { type: "plan" }>,
  output: CappedOutput,
): Promise<StepOutcome> {
  const timeout = step.timeout_seconds;
  const selected = await selectWorkspace(run, output, timeout);
  if (selected && !selected.success) return { exec: selected };
  const plan = await execEngine(run, run.commands.plan(run.planFile, step.extra_args), output, { timeout });
  if (!plan.success) return { exec: plan };
  const showOutput = new CappedOutput(smallOutput);
  const show = await execEngine(run, run.commands.showJson(run.planFile), showOutput, {
    captureStdout: true,
    timeout,
  });
  if (!show.success) {
    output.push(showOutput.toString());
    return { exec: show };
  }
  try {
    ({ summary: run.summary, hasChanges: run.hasChanges } = summarizePlanJson(show.stdout));
  } catch (error) {
    return { exec: plan, failure: `could not read the plan's JSON: ${(error as Error).message}` };
  }
  run.planReady = true;
  let planBytes: Buffer;
  try {
    planBytes = await readFile(run.planFile);
  } catch (error) {
    return { exec: plan, failure: `the plan file could not be read: ${(error as Error).message}` };
  }
  await uploadPlan(run, planBytes);
  return { exec: plan };
}

/** Uploading overlaps with the next dirspace's terraform; a failed upload still fails this dirspace. */
async function uploadPlan(run: DirspaceRun, planBytes: Buffer): Promise<void> {
  const { context, result } = run;
  const { dir, workspace } = context.dirspace;
  const upload = context.client
    .uploadPlan(dir, workspace, run.hasChanges ?? true, planBytes)
    .catch((error: unknown) => {
      result.success = false;
      result.steps.push({
        name: "upload plan",
        success: false,
        exit_code: null,
        output: context.redactor.redact(
          `the plan could not be stored on the server: ${(error as Error).message}`,
        ),
      });
    });
  if (context.defer) context.defer(upload);
  else await upload;
}

async function runApply(
  run: DirspaceRun,
  step: Extract<RunnableStep, { type: "apply" }>,
  output: CappedOutput,
): Promise<StepOutcome> {
  const timeout = step.timeout_seconds;
  const { dir, workspace } = run.context.dirspace;
  if (!run.planReady) {
    try {
      await writeFile(run.planFile, await run.context.client.downloadPlan(dir, workspace), { mode: 0o600 });
      run.planReady = true;
    } catch (error) {
      return { failure: `the stored plan could not be fetched: ${(error as Error).message}` };
    }
  }
  const selected = await selectWorkspace(run, output, timeout);
  if (selected && !selected.success) return { exec: selected };
  if (run.summary === undefined) await readPlanCounts(run, timeout);
  const apply = await execEngine(run, run.commands.apply(run.planFile, step.extra_args), output, { timeout });
  if (apply.success) await readOutputs(run, timeout);
  return { exec: apply };
}

/** The counts of what this apply will do, from the very plan file it applies; informative only. */
async function readPlanCounts(run: DirspaceRun, timeout: number | undefined): Promise<void> {
  const show = await execEngine(run, run.commands.showJson(run.planFile), new CappedOutput(smallOutput), {
    captureStdout: true,
    timeout,
  });
  if (!show.success) return;
  try {
    ({ summary: run.summary, hasChanges: run.hasChanges } = summarizePlanJson(show.stdout));
  } catch {
    // counts are informative; the apply itself decides success
  }
}

/** The root module's outputs after an apply, sensitive ones masked, everything redacted. */
async function readOutputs(run: DirspaceRun, timeout: number | undefined): Promise<void> {
  const outputs = await execEngine(run, run.commands.outputJson(), new CappedOutput(smallOutput), {
    captureStdout: true,
    timeout,
  });
  if (!outputs.success) return;
  const { redactor } = run.context;
  try {
    run.result.outputs = JSON.parse(redactor.redact(JSON.stringify(sensitiveOutputs(outputs.stdout))));
  } catch {
    // outputs are a convenience; a run without them still applied
  }
}

function sensitiveOutputs(json: string): Record<string, unknown> {
  const parsed = JSON.parse(json) as Record<string, { sensitive?: boolean; value?: unknown; type?: unknown }>;
  const outputs: Record<string, unknown> = {};
  for (const [name, output] of Object.entries(parsed)) {
    outputs[name] = output.sensitive ? "(sensitive)" : output.value;
  }
  return outputs;
}

async function runCommand(
  run: DirspaceRun,
  step: Extract<RunnableStep, { type: "run" }>,
  output: CappedOutput,
): Promise<StepOutcome> {
  const [program, ...args] = step.cmd as [string, ...string[]];
  return { exec: await execProgram(run, program, args, output, { timeout: step.timeout_seconds }) };
}

/** Runs one step with the runner of its kind. */
export function runStep(run: DirspaceRun, step: RunnableStep, output: CappedOutput): Promise<StepOutcome> {
  switch (step.type) {
    case "init":
      return runInit(run, step, output);
    case "plan":
      return runPlan(run, step, output);
    case "apply":
      return runApply(run, step, output);
    case "run":
      return runCommand(run, step, output);
    default: {
      const unknown: never = step;
      return Promise.resolve({ failure: `unknown step ${JSON.stringify(unknown)}` });
    }
  }
}
