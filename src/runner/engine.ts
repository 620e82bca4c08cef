// Command lines of each engine (terraform, tofu, terragrunt) for the steps the runner knows.
import type { Engine, EngineName } from "./protocol.ts";

export interface EngineCommands {
  binary: string;
  init(extraArgs: readonly string[]): string[];
  selectWorkspace(workspace: string): string[];
  plan(planFile: string, extraArgs: readonly string[]): string[];
  showJson(planFile: string): string[];
  apply(planFile: string, extraArgs: readonly string[]): string[];
  outputJson(): string[];
}

const common = ["-input=false", "-no-color"];

function terraformLike(binary: string): EngineCommands {
  return {
    binary,
    init: (extra) => ["init", ...common, ...extra],
    selectWorkspace: (workspace) => ["workspace", "select", "-or-create", workspace],
    plan: (planFile, extra) => ["plan", ...common, `-out=${planFile}`, ...extra],
    showJson: (planFile) => ["show", "-json", planFile],
    apply: (planFile, extra) => ["apply", ...common, ...extra, planFile],
    outputJson: () => ["output", "-json"],
  };
}

const defaultBinary: Record<EngineName, string> = {
  terraform: "terraform",
  tofu: "tofu",
  terragrunt: "terragrunt",
};

/** Terragrunt passes these commands through to terraform/tofu, so the argument lists are shared. */
export function engineCommands(engine: Engine): EngineCommands {
  return terraformLike(engine.binary ?? defaultBinary[engine.name]);
}

/** Environment every engine command gets on top of the CI's own. */
export function engineEnv(engine: Engine, pluginCacheDir: string): Record<string, string> {
  const env: Record<string, string> = {
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    TF_PLUGIN_CACHE_DIR: pluginCacheDir,
  };
  if (engine.name === "terragrunt") {
    env["TG_NON_INTERACTIVE"] = "true";
    env["TERRAGRUNT_NON_INTERACTIVE"] = "true";
  }
  return env;
}
