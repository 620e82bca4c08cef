// engine.version: the binary whose `version -json` meets the workflow's constraint, or why none does.
import { stat } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import {
  parseVersion,
  parseVersionConstraint,
  satisfies,
  VersionConstraintError,
} from "../domain/version-constraint.ts";
import type { Engine } from "./protocol.ts";

export type EngineChoice =
  | { type: "chosen"; binary: string; version: string }
  | { type: "refused"; reason: string };

/** terraform and tofu check their own version; terragrunt's constraint is on the terraform it drives. */
function candidateNames(engine: Engine): string[] {
  if (engine.name === "terragrunt") return ["terraform", "tofu"];
  return [engine.name];
}

type Found = { version: string } | { problem: string };

/**
 * Finds engine binaries for a manifest's dirspaces: the one on PATH (or the workflow's `binary`) when
 * its version meets the constraint, else the first TERRAGATE_ENGINE_PATH entry that does. Each binary's
 * version is asked once per run.
 */
export class EngineResolver {
  private readonly versions = new Map<string, Promise<Found>>();
  private readonly env: Record<string, string>;
  private readonly enginePath: readonly string[];

  /** `enginePath`: binaries, or directories holding a binary named after the engine (`/opt/tf/1.5.7/terraform`). */
  constructor(env: Record<string, string>, enginePath: readonly string[]) {
    this.env = env;
    this.enginePath = enginePath;
  }

  async choose(engine: Engine, defaultBinary: string): Promise<EngineChoice> {
    const text = engine.version ?? "";
    let constraint: ReturnType<typeof parseVersionConstraint>;
    try {
      constraint = parseVersionConstraint(text);
    } catch (error) {
      if (!(error instanceof VersionConstraintError)) throw error;
      return { type: "refused", reason: `engine.version ${JSON.stringify(text)}: ${error.message}` };
    }
    const first = engine.name === "terragrunt" ? "terraform" : defaultBinary;
    const candidates = [first, ...(await this.pathCandidates(engine))];
    const seen: string[] = [];
    for (const binary of [...new Set(candidates)]) {
      const found = await this.versionOf(binary);
      if ("problem" in found) {
        seen.push(`${binary}: ${found.problem}`);
        continue;
      }
      const version = parseVersion(found.version);
      if (version && satisfies(version, constraint))
        return { type: "chosen", binary, version: found.version };
      seen.push(`${binary} is ${found.version}`);
    }
    const where =
      this.enginePath.length === 0
        ? `install a matching ${candidateNames(engine)[0]}, or list matching binaries in TERRAGATE_ENGINE_PATH (separated by "${path.delimiter}")`
        : `no binary on PATH or in TERRAGATE_ENGINE_PATH matches`;
    return {
      type: "refused",
      reason: `engine.version ${JSON.stringify(constraint.text)} is not met: ${seen.join("; ")}; ${where}`,
    };
  }

  private async pathCandidates(engine: Engine): Promise<string[]> {
    const candidates: string[] = [];
    for (const entry of this.enginePath) {
      const info = await stat(entry).catch(() => undefined);
      if (info?.isDirectory()) {
        for (const name of candidateNames(engine)) {
          const binary = path.join(entry, name);
          if ((await stat(binary).catch(() => undefined))?.isFile()) candidates.push(binary);
        }
      } else {
        // A file, or a missing entry (reported when it cannot run).
        candidates.push(entry);
      }
    }
    return candidates;
  }

  private versionOf(binary: string): Promise<Found> {
    let found = this.versions.get(binary);
    if (!found) {
      found = askVersion(binary, this.env);
      this.versions.set(binary, found);
    }
    return found;
  }
}

/** `terraform version -json` (and tofu's, which answers alike); older releases' text answer as a fallback. */
async function askVersion(binary: string, env: Record<string, string>): Promise<Found> {
  const answer = await execa(binary, ["version", "-json"], {
    env,
    extendEnv: false,
    stdin: "ignore",
    reject: false,
    timeout: 60_000,
  });
  if (answer.failed && answer.exitCode === undefined) {
    return { problem: `could not run (${answer.originalMessage ?? answer.shortMessage})` };
  }
  const stdout = String(answer.stdout);
  try {
    const parsed = JSON.parse(stdout) as { terraform_version?: unknown; tofu_version?: unknown };
    const version = parsed.terraform_version ?? parsed.tofu_version;
    if (typeof version === "string") return { version };
  } catch {
    // not JSON: an old release, or not an engine at all
  }
  const text = /\bv(\d+\.\d+\.\d+\S*)/.exec(stdout)?.[1];
  if (text) return { version: text };
  return { problem: `\`${binary} version -json\` did not say its version (exit code ${answer.exitCode})` };
}
