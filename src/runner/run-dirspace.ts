// Running one dirspace's workflow steps in order, each by the runner of its kind (step-runners.ts).
import path from "node:path";
import type { RunnerApiClient } from "./api-client.ts";
import { CappedOutput, type CappedOutputLimits } from "./capped-output.ts";
import { engineCommands, engineEnv } from "./engine.ts";
import type { EngineResolver } from "./engine-version.ts";
import {
  type DirspaceResult,
  type Manifest,
  type ManifestDirspace,
  shortStepName,
  type WorkflowStep,
} from "./protocol.ts";
import type { Redactor } from "./redact.ts";
import { type DirspaceRun, type RunnableStep, runStep } from "./step-runners.ts";

export interface DirspaceRunContext {
  manifest: Manifest;
  dirspace: ManifestDirspace;
  /** Index of the dirspace in the manifest, for unique temporary file names. */
  index: number;
  repoRoot: string;
  /** A private temporary directory for plan files. */
  tempDir: string;
  pluginCacheDir: string;
  /** The CI environment terraform inherits (credentials), without the runner's own tokens. */
  baseEnv: Record<string, string>;
  redactor: Redactor;
  client: RunnerApiClient;
  outputLimits?: CappedOutputLimits;
  /** Finds the engine binary that meets `engine.version`; shared by the manifest's dirspaces. */
  engines: EngineResolver;
  /** Takes work that may finish after the steps (the plan upload); absent: such work is awaited in place. */
  defer?: (work: Promise<void>) => void;
}

/**
 * Steps that can change infrastructure: `apply`, and custom commands of an apply (or auto-approved)
 * run, or of a drift run's reconcile (the steps after its plan).
 */
function mayChangeInfrastructure(kind: Manifest["kind"], step: WorkflowStep, planned: boolean): boolean {
  if (step.type === "apply") return true;
  if (step.type !== "run") return false;
  return kind === "drift" ? planned : kind !== "plan";
}

/** Resolves a manifest dir inside the checkout; refuses anything that would leave it. */
export function dirspacePath(repoRoot: string, dir: string): string {
  const root = path.resolve(repoRoot);
  const resolved = path.resolve(root, dir);
  if (dir.includes("\0") || (resolved !== root && !resolved.startsWith(`${root}${path.sep}`))) {
    throw new Error(`dir ${JSON.stringify(dir)} is outside the repository checkout`);
  }
  return resolved;
}

/** The shared state of one dirspace's steps, or the failed result when its dir leaves the checkout. */
function startDirspaceRun(context: DirspaceRunContext): DirspaceRun | DirspaceResult {
  const { manifest, dirspace } = context;
  const { dir, workspace, workflow } = dirspace;
  const result: DirspaceResult = { dir, workspace, success: false, steps: [] };
  let cwd: string;
  try {
    cwd = dirspacePath(context.repoRoot, dir);
  } catch (error) {
    result.steps.push({
      name: "checkout",
      success: false,
      exit_code: null,
      output: (error as Error).message,
    });
    return result;
  }
  const planFile = path.join(context.tempDir, `${context.index}.tfplan`);
  const env: Record<string, string> = {
    ...context.baseEnv,
    ...engineEnv(workflow.engine, context.pluginCacheDir),
    TERRAGATE_DIR: dir,
    TERRAGATE_WORKSPACE: workspace,
    TERRAGATE_PLANFILE: planFile,
    TERRAGATE_MANIFEST_KIND: manifest.kind,
  };
  return {
    context,
    cwd,
    env,
    commands: engineCommands(workflow.engine),
    planFile,
    planReady: false,
    workspaceSelected: workspace === "default",
    result,
  };
}

function stepName(step: RunnableStep): string {
  return shortStepName(step.type === "run" ? (step.name ?? `run: ${step.cmd.join(" ")}`) : step.type);
}

/** The result with what the plan said, whether or not every step succeeded. */
function finish(run: DirspaceRun, success: boolean): DirspaceResult {
  if (success) run.result.success = true;
  run.result.summary = run.summary ?? null;
  run.result.has_changes = run.hasChanges ?? null;
  return run.result;
}

/**
 * Tells the server before the first step that can change anything: a run that dies from there on keeps
 * its lock. Returns why it could not, when it could not (then nothing may run).
 */
async function announceApply(run: DirspaceRun): Promise<string | undefined> {
  const { dir, workspace } = run.context.dirspace;
  try {
    await run.context.client.applyStarted(dir, workspace);
    return undefined;
  } catch (error) {
    return `nothing was applied: the server did not record that this apply is starting (${(error as Error).message})`;
  }
}

/**
 * With `engine.version`, picks the binary that meets it (terragrunt: the terraform it drives), before any
 * step runs; returns why none does.
 */
async function chooseEngine(run: DirspaceRun): Promise<string | undefined> {
  const { engine } = run.context.dirspace.workflow;
  if (engine.version === undefined) return undefined;
  const choice = await run.context.engines.choose(engine, run.commands.binary);
  if (choice.type === "refused") return choice.reason;
  if (engine.name === "terragrunt") {
    run.env["TG_TF_PATH"] = choice.binary;
    run.env["TERRAGRUNT_TFPATH"] = choice.binary;
  } else {
    run.commands = engineCommands({ ...engine, binary: choice.binary });
  }
  return undefined;
}

/** Runs every step of one dirspace; stops at its first failed step; never throws for a step's failure. */
export async function runDirspace(context: DirspaceRunContext): Promise<DirspaceResult> {
  const run = startDirspaceRun(context);
  if (!("context" in run)) return run;
  const { redactor, manifest } = context;
  const engineRefused = await chooseEngine(run);
  if (engineRefused) {
    const output = redactor.redact(engineRefused);
    run.result.steps.push({ name: "engine version", success: false, exit_code: null, output });
    return finish(run, false);
  }
  let applyAnnounced = false;
  for (const step of context.dirspace.workflow.steps) {
    if (step.type === "env") {
      run.env[step.name] = step.value;
      continue;
    }
    const output = new CappedOutput(context.outputLimits);
    const name = stepName(step);
    const changing = mayChangeInfrastructure(manifest.kind, step, run.planReady);
    // A drift run reconciles only what drifted: nothing to apply when its plan found no changes.
    if (manifest.kind === "drift" && changing && run.hasChanges === false) break;
    if (!applyAnnounced && changing) {
      const refused = await announceApply(run);
      if (refused) {
        output.push(redactor.redact(refused));
        run.result.steps.push({ name, success: false, exit_code: null, output: output.toString() });
        return finish(run, false);
      }
      applyAnnounced = true;
    }
    const stepStarted = performance.now();
    const outcome = await runStep(run, step, output);
    if (outcome.failure) output.push(redactor.redact(outcome.failure));
    const success = outcome.failure === undefined && (outcome.exec?.success ?? true);
    run.result.steps.push({
      name,
      success,
      exit_code: outcome.exec?.exitCode ?? null,
      output: output.toString(),
      duration_ms: Math.round(performance.now() - stepStarted),
    });
    if (!success) return finish(run, false);
  }
  return finish(run, true);
}
