// The runner protocol: request and response bodies shared by the work-manifest endpoints and the runner.

import { z } from "zod";
import { Vcs } from "../vcs/types.ts";

export const engineNames = ["terraform", "tofu", "terragrunt"] as const;
export type EngineName = (typeof engineNames)[number];

export const Engine = z.object({
  name: z.enum(engineNames).default("terraform"),
  /** Binary to run instead of the engine's usual name (a path or a name on PATH). */
  binary: z.string().min(1).optional(),
  /** The config's `engine.version` constraint (`~> 1.5`); the runner checks the binary's version against it. */
  version: z.string().min(1).max(200).optional(),
});
export type Engine = z.infer<typeof Engine>;

const extraArgs = z.array(z.string()).default([]);
const timeoutSeconds = z.number().int().min(1).max(86_400).optional();

/**
 * The fields of each workflow step kind: the one definition of a step, used by the runner protocol
 * here and, made strict with config-error messages, by the repo config (domain/repo-config.ts).
 */
export const workflowStepShapes = {
  init: { type: z.literal("init"), extra_args: extraArgs, timeout_seconds: timeoutSeconds },
  plan: { type: z.literal("plan"), extra_args: extraArgs, timeout_seconds: timeoutSeconds },
  apply: { type: z.literal("apply"), extra_args: extraArgs, timeout_seconds: timeoutSeconds },
  run: {
    type: z.literal("run"),
    cmd: z.array(z.string()).min(1, "cmd needs the program and its arguments, e.g. [make, check]"),
    name: z.string().optional(),
    timeout_seconds: timeoutSeconds,
  },
  env: {
    type: z.literal("env"),
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "expected an environment variable name" }),
    value: z.string(),
  },
} as const;
export type WorkflowStepType = keyof typeof workflowStepShapes;

/** One workflow step; `run` executes a custom command, `env` sets a variable for later steps. */
export const WorkflowStep = z.discriminatedUnion("type", [
  z.object(workflowStepShapes.init),
  z.object(workflowStepShapes.plan),
  z.object(workflowStepShapes.apply),
  z.object(workflowStepShapes.run),
  z.object(workflowStepShapes.env),
]);
export type WorkflowStep = z.infer<typeof WorkflowStep>;

/** The steps of a workflow that names none: init + plan, and init + apply. */
export const defaultSteps: Record<"plan" | "apply", WorkflowStep[]> = {
  plan: [
    { type: "init", extra_args: [] },
    { type: "plan", extra_args: [] },
  ],
  apply: [
    { type: "init", extra_args: [] },
    { type: "apply", extra_args: [] },
  ],
};

export const Workflow = z.object({
  engine: Engine.default({ name: "terraform" }),
  steps: z.array(WorkflowStep).min(1),
});
export type Workflow = z.infer<typeof Workflow>;

export const InitiateRequest = z.object({
  run_id: z.union([z.string().min(1).max(200), z.number().int()]).transform(String),
  sha: z.string().regex(/^[0-9a-f]{7,64}$/, "expected a commit sha"),
});
export type InitiateRequest = z.infer<typeof InitiateRequest>;

export const manifestKinds = ["plan", "apply", "autoapprove", "drift"] as const;
export type ManifestKind = (typeof manifestKinds)[number];

export const ManifestDirspace = z.object({
  dir: z.string(),
  workspace: z.string(),
  workflow: Workflow,
});
export type ManifestDirspace = z.infer<typeof ManifestDirspace>;

export const Manifest = z.object({
  type: z.literal("manifest"),
  id: z.string(),
  kind: z.enum(manifestKinds),
  /** The JWT bound to this manifest; every later call sends it. */
  token: z.string(),
  token_expires_at: z.string(),
  repository: z.object({
    full_name: z.string(),
    clone_url: z.string(),
    vcs: Vcs,
  }),
  pull_request: z.number().int().nullable(),
  base: z.object({ ref: z.string(), sha: z.string() }),
  head: z.object({ ref: z.string(), sha: z.string() }),
  parallelism: z.number().int().min(1).max(64),
  /** Names of environment variables whose values must never leave the runner. */
  secret_env: z.array(z.string()).default([]),
  step_timeout_seconds: z.number().int().positive(),
  dirspaces: z.array(ManifestDirspace),
  /** W3C `traceparent` of the trace the manifest belongs to; the runner's spans continue it. */
  traceparent: z.string().max(128).optional(),
});
export type Manifest = z.infer<typeof Manifest>;

export const InitiateResponse = z.discriminatedUnion("type", [
  Manifest,
  z.object({ type: z.literal("done"), reason: z.string().optional() }),
]);
export type InitiateResponse = z.infer<typeof InitiateResponse>;

export const PlanUpload = z.object({
  dir: z.string().min(1),
  workspace: z.string().min(1),
  has_changes: z.boolean(),
  /** The plan file, base64. */
  plan: z.base64(),
});
export type PlanUpload = z.infer<typeof PlanUpload>;

export const ChangeSummary = z.object({
  add: z.number().int().min(0),
  change: z.number().int().min(0),
  destroy: z.number().int().min(0),
  import: z.number().int().min(0),
});
export type ChangeSummary = z.infer<typeof ChangeSummary>;

/** Output per step is capped by the runner; the server refuses anything bigger than this. */
export const maxStepOutputChars = 4 * 1024 * 1024;

/** Step names longer than this are shortened (a `run` step is named after its whole command line). */
export const maxStepNameChars = 200;

/** A step name within the protocol's limit: the start of it, and an ellipsis when something was cut. */
export function shortStepName(name: string): string {
  return name.length <= maxStepNameChars ? name : `${name.slice(0, maxStepNameChars - 1)}…`;
}

export const StepReport = z.object({
  /** Longer names (from runners that did not shorten them) are shortened, never refused. */
  name: z.string().min(1).max(1_000_000).transform(shortStepName),
  success: z.boolean(),
  exit_code: z.number().int().nullable(),
  output: z.string().max(maxStepOutputChars),
  /** How long the step took (runners before 0.2 do not say). */
  duration_ms: z.number().int().min(0).nullable().optional(),
});
export type StepReport = z.infer<typeof StepReport>;

export const DirspaceResult = z.object({
  dir: z.string().min(1),
  workspace: z.string().min(1),
  success: z.boolean(),
  steps: z.array(StepReport),
  summary: ChangeSummary.nullable().optional(),
  has_changes: z.boolean().nullable().optional(),
  outputs: z.record(z.string(), z.unknown()).nullable().optional(),
});
export type DirspaceResult = z.infer<typeof DirspaceResult>;

/** Sent before a dirspace's first step that can change infrastructure (`apply`, or `run` in an apply). */
export const ApplyStarted = z.object({ dir: z.string().min(1), workspace: z.string().min(1) });
export type ApplyStarted = z.infer<typeof ApplyStarted>;

export const ResultsBody = z.object({
  dirspaces: z.array(DirspaceResult),
  /** A failure before any dirspace ran (checkout, initiate), shown on the PR. */
  error: z.string().max(65_536).optional(),
});
export type ResultsBody = z.infer<typeof ResultsBody>;

/** What a manifest JWT allows; plan manifests upload plans, apply manifests read them. */
export const manifestOperations = ["plans:write", "plans:read", "apply:start", "results:write"] as const;
export type ManifestOperation = (typeof manifestOperations)[number];
