// Running one dirspace's workflow steps: init, workspace, plan (+ summary, upload), apply, custom commands.
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { RunnerApiClient } from "./api-client.ts";
import { CappedOutput, type CappedOutputLimits } from "./capped-output.ts";
import { engineCommands, engineEnv } from "./engine.ts";
import { type ExecResult, execStep } from "./exec-step.ts";
import {
  type ChangeSummary,
  type DirspaceResult,
  type Manifest,
  type ManifestDirspace,
  type StepReport,
  shortStepName,
  type WorkflowStep,
} from "./protocol.ts";
import type { Redactor } from "./redact.ts";
import { summarizePlanJson } from "./summarize-plan.ts";

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
  /** Takes work that may finish after the steps (the plan upload); absent: such work is awaited in place. */
  defer?: (work: Promise<void>) => void;
}

/** Steps that can change infrastructure: `apply`, and in an apply (or auto-approved) run, custom commands. */
function mayChangeInfrastructure(kind: Manifest["kind"], step: WorkflowStep): boolean {
  return step.type === "apply" || (step.type === "run" && kind !== "plan");
}

/** Output kept of helper commands (show -json, output -json): only their errors matter. */
const smallOutput = { headChars: 8192, tailChars: 8192 };

/** Resolves a manifest dir inside the checkout; refuses anything that would leave it. */
export function dirspacePath(repoRoot: string, dir: string): string {
  const root = path.resolve(repoRoot);
  const resolved = path.resolve(root, dir);
  if (dir.includes("\0") || (resolved !== root && !resolved.startsWith(`${root}${path.sep}`))) {
    throw new Error(`dir ${JSON.stringify(dir)} is outside the repository checkout`);
  }
  return resolved;
}

function sensitiveOutputs(json: string): Record<string, unknown> {
  const parsed = JSON.parse(json) as Record<string, { sensitive?: boolean; value?: unknown; type?: unknown }>;
  const outputs: Record<string, unknown> = {};
  for (const [name, output] of Object.entries(parsed)) {
    outputs[name] = output.sensitive ? "(sensitive)" : output.value;
  }
  return outputs;
}

/** Runs every step of one dirspace; stops at its first failed step; never throws for a step's failure. */
export async function runDirspace(context: DirspaceRunContext): Promise<DirspaceResult> {
  const { manifest, dirspace, redactor, client } = context;
  const { dir, workspace, workflow } = dirspace;
  const steps: StepReport[] = [];
  const result: DirspaceResult = { dir, workspace, success: false, steps };
  let cwd: string;
  try {
    cwd = dirspacePath(context.repoRoot, dir);
  } catch (error) {
    steps.push({ name: "checkout", success: false, exit_code: null, output: (error as Error).message });
    return result;
  }
  const commands = engineCommands(workflow.engine);
  const planFile = path.join(context.tempDir, `${context.index}.tfplan`);
  let planReady = false;
  let workspaceSelected = workspace === "default";
  let summary: ChangeSummary | undefined;
  let hasChanges: boolean | undefined;
  const env: Record<string, string> = {
    ...context.baseEnv,
    ...engineEnv(workflow.engine, context.pluginCacheDir),
    TERRAGATE_DIR: dir,
    TERRAGATE_WORKSPACE: workspace,
    TERRAGATE_PLANFILE: planFile,
    TERRAGATE_MANIFEST_KIND: manifest.kind,
  };
  const exec = (
    args: string[],
    output: CappedOutput,
    extra: { captureStdout?: boolean; timeout?: number } = {},
  ) =>
    execStep(commands.binary, args, {
      cwd,
      env,
      timeoutSeconds: extra.timeout ?? manifest.step_timeout_seconds,
      redactor,
      output,
      captureStdout: extra.captureStdout,
    });
  const note = (output: CappedOutput, text: string) => output.push(redactor.redact(text));

  async function selectWorkspace(output: CappedOutput, timeout?: number): Promise<ExecResult | undefined> {
    if (workspaceSelected) return undefined;
    const selected = await exec(commands.selectWorkspace(workspace), output, { timeout });
    if (selected.success) workspaceSelected = true;
    return selected;
  }

  let applyAnnounced = false;
  for (const step of workflow.steps) {
    if (step.type === "env") {
      env[step.name] = step.value;
      continue;
    }
    const output = new CappedOutput(context.outputLimits);
    const timeout = step.timeout_seconds;
    let outcome: ExecResult | undefined;
    let failure: string | undefined;
    const name = shortStepName(step.type === "run" ? (step.name ?? `run: ${step.cmd.join(" ")}`) : step.type);
    if (!applyAnnounced && mayChangeInfrastructure(manifest.kind, step)) {
      // The server must know before anything can change: a run that dies from here on keeps its lock.
      try {
        await client.applyStarted(dir, workspace);
        applyAnnounced = true;
      } catch (error) {
        note(
          output,
          `nothing was applied: the server did not record that this apply is starting (${(error as Error).message})`,
        );
        steps.push({ name, success: false, exit_code: null, output: output.toString() });
        result.summary = summary ?? null;
        result.has_changes = hasChanges ?? null;
        return result;
      }
    }
    switch (step.type) {
      case "init": {
        outcome = await exec(commands.init(step.extra_args), output, { timeout });
        if (outcome.success) outcome = (await selectWorkspace(output, timeout)) ?? outcome;
        break;
      }
      case "plan": {
        outcome = (await selectWorkspace(output, timeout)) ?? undefined;
        if (outcome && !outcome.success) break;
        outcome = await exec(commands.plan(planFile, step.extra_args), output, { timeout });
        if (!outcome.success) break;
        const showOutput = new CappedOutput(smallOutput);
        const show = await exec(commands.showJson(planFile), showOutput, { captureStdout: true, timeout });
        if (!show.success) {
          output.push(showOutput.toString());
          outcome = show;
          break;
        }
        try {
          ({ summary, hasChanges } = summarizePlanJson(show.stdout));
        } catch (error) {
          failure = `could not read the plan's JSON: ${(error as Error).message}`;
          break;
        }
        planReady = true;
        let planBytes: Buffer;
        try {
          planBytes = await readFile(planFile);
        } catch (error) {
          failure = `the plan file could not be read: ${(error as Error).message}`;
          break;
        }
        // Uploading overlaps with the next dirspace's terraform; a failed upload still fails this dirspace.
        const upload = client
          .uploadPlan(dir, workspace, hasChanges ?? true, planBytes)
          .catch((error: unknown) => {
            result.success = false;
            steps.push({
              name: "upload plan",
              success: false,
              exit_code: null,
              output: redactor.redact(
                `the plan could not be stored on the server: ${(error as Error).message}`,
              ),
            });
          });
        if (context.defer) context.defer(upload);
        else await upload;
        break;
      }
      case "apply": {
        if (!planReady) {
          try {
            await writeFile(planFile, await client.downloadPlan(dir, workspace), { mode: 0o600 });
            planReady = true;
          } catch (error) {
            failure = `the stored plan could not be fetched: ${(error as Error).message}`;
            break;
          }
        }
        outcome = (await selectWorkspace(output, timeout)) ?? undefined;
        if (outcome && !outcome.success) break;
        if (summary === undefined) {
          // The counts of what this apply will do, from the very plan file it applies.
          const show = await exec(commands.showJson(planFile), new CappedOutput(smallOutput), {
            captureStdout: true,
            timeout,
          });
          if (show.success) {
            try {
              ({ summary, hasChanges } = summarizePlanJson(show.stdout));
            } catch {
              // counts are informative; the apply itself decides success
            }
          }
        }
        outcome = await exec(commands.apply(planFile, step.extra_args), output, { timeout });
        if (!outcome.success) break;
        const outputs = await exec(commands.outputJson(), new CappedOutput(smallOutput), {
          captureStdout: true,
          timeout,
        });
        if (outputs.success) {
          try {
            result.outputs = JSON.parse(redactor.redact(JSON.stringify(sensitiveOutputs(outputs.stdout))));
          } catch {
            // outputs are a convenience; a run without them still applied
          }
        }
        break;
      }
      case "run": {
        const [program, ...args] = step.cmd as [string, ...string[]];
        outcome = await execStep(program, args, {
          cwd,
          env,
          timeoutSeconds: timeout ?? manifest.step_timeout_seconds,
          redactor,
          output,
        });
        break;
      }
      default: {
        const unknown: never = step;
        failure = `unknown step ${JSON.stringify(unknown)}`;
      }
    }
    if (failure) note(output, failure);
    const success = failure === undefined && (outcome?.success ?? true);
    steps.push({ name, success, exit_code: outcome?.exitCode ?? null, output: output.toString() });
    if (!success) {
      result.summary = summary ?? null;
      result.has_changes = hasChanges ?? null;
      return result;
    }
  }
  result.success = true;
  result.summary = summary ?? null;
  result.has_changes = hasChanges ?? null;
  return result;
}
